# tests/e2e.cmake: multi-process orchestration tests (real coordinator binary,
# worker processes running the real WorkerRuntime with a TEST-ONLY evaluator,
# loopback gRPC, SQLite files), the `ablate` sweep commands, and `ablate run`'s
# engine with the test evaluator. The test evaluator never leaves tests/.
add_library(ablate_test_evaluator STATIC ${CMAKE_CURRENT_SOURCE_DIR}/test_evaluator.cc)
target_link_libraries(ablate_test_evaluator PUBLIC ablate_proto absl::statusor absl::strings absl::time)

add_executable(ablate-test-worker ${CMAKE_CURRENT_SOURCE_DIR}/test_worker_main.cc)
target_link_libraries(ablate-test-worker PRIVATE ablate_worker_runtime ablate_test_evaluator)

if(TARGET ablate-coordinator)
  add_library(ablate_e2e_cluster STATIC ${CMAKE_CURRENT_SOURCE_DIR}/e2e_cluster.cc)
  target_link_libraries(ablate_e2e_cluster PUBLIC ablate_grpc_proto ablate_subprocess
    SQLite::SQLite3 GTest::gtest)
  target_compile_definitions(ablate_e2e_cluster PRIVATE ABLATE_BINARY_DIR="${CMAKE_BINARY_DIR}")

  ablate_test(NAME e2e_orchestration_test
    SRCS ${CMAKE_CURRENT_SOURCE_DIR}/e2e_orchestration_test.cc
    LIBS ablate_e2e_cluster ablate_test_evaluator
    LABELS e2e
    TIMEOUT 180)
  add_dependencies(e2e_orchestration_test ablate-coordinator ablate-test-worker)

  # Request limits, bounded cost, request_id, --allow-path, NaN/Inf, garbage
  # bytes against the real coordinator process (docs/limits.md).
  ablate_test(NAME e2e_limits_test
    SRCS ${CMAKE_CURRENT_SOURCE_DIR}/e2e_limits_test.cc
    LIBS ablate_e2e_cluster
    LABELS "e2e;limits"
    TIMEOUT 120)
  add_dependencies(e2e_limits_test ablate ablate-coordinator ablate-test-worker)

  if(TARGET ablate_sweep_cli)
    ablate_test(NAME e2e_cli_test
      SRCS ${CMAKE_CURRENT_SOURCE_DIR}/e2e_cli_test.cc
      LIBS ablate_e2e_cluster nlohmann_json::nlohmann_json
      LABELS e2e
      TIMEOUT 180)
    add_dependencies(e2e_cli_test ablate ablate-coordinator ablate-test-worker)
    if(TARGET ablate_eval AND EXISTS ${CMAKE_SOURCE_DIR}/worker/eval/lm_evaluator.cc)
      target_compile_definitions(e2e_cli_test PRIVATE ABLATE_HAVE_LM_EVALUATOR=1)
    endif()

    # The README's main job with separate processes and the product evaluator.
    if(TARGET ablate_eval AND TARGET ablate-worker)
      ablate_test(NAME e2e_demo_test
        SRCS ${CMAKE_CURRENT_SOURCE_DIR}/e2e_demo_test.cc
        LIBS ablate_e2e_cluster
        LABELS e2e
        TIMEOUT 900)
      add_dependencies(e2e_demo_test ablate ablate-coordinator ablate-worker)
      target_compile_definitions(e2e_demo_test PRIVATE ABLATE_HAVE_LM_EVALUATOR=1)
    endif()

    ablate_test(NAME e2e_embedded_test
      SRCS ${CMAKE_CURRENT_SOURCE_DIR}/e2e_embedded_test.cc
      LIBS ablate_sweep_cli ablate_test_evaluator ablate_subprocess
      LABELS e2e
      TIMEOUT 120)
  endif()
endif()

# ablate-worker's exit codes when it cannot start (no CUDA, no coordinator, bad flags).
if(TARGET ablate-worker)
  ablate_test(NAME worker_exit_test
    SRCS ${CMAKE_CURRENT_SOURCE_DIR}/worker_exit_test.cc
    LIBS ablate_subprocess absl::strings
    LABELS e2e
    TIMEOUT 120)
  add_dependencies(worker_exit_test ablate-worker)
endif()
