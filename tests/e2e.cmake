# tests/e2e.cmake: multi-process orchestration tests (real coordinator binary,
# worker processes running the real WorkerRuntime with a TEST-ONLY evaluator,
# loopback gRPC, SQLite files). The test evaluator never leaves tests/.
add_library(ablate_test_evaluator STATIC ${CMAKE_CURRENT_SOURCE_DIR}/test_evaluator.cc)
target_link_libraries(ablate_test_evaluator PUBLIC ablate_proto absl::statusor absl::strings absl::time)

add_executable(ablate-test-worker ${CMAKE_CURRENT_SOURCE_DIR}/test_worker_main.cc)
target_link_libraries(ablate-test-worker PRIVATE ablate_worker_runtime ablate_test_evaluator)

if(TARGET ablate-coordinator)
  ablate_test(NAME e2e_orchestration_test
    SRCS ${CMAKE_CURRENT_SOURCE_DIR}/e2e_orchestration_test.cc ${CMAKE_CURRENT_SOURCE_DIR}/e2e_cluster.cc
    LIBS ablate_grpc_proto ablate_test_evaluator ablate_subprocess SQLite::SQLite3
    LABELS e2e
    TIMEOUT 180)
  add_dependencies(e2e_orchestration_test ablate-coordinator ablate-test-worker)
endif()
