# bench/worker.cmake: end-to-end orchestration throughput with the real worker
# runtime: an in-process coordinator (real gRPC on loopback, SQLite file in
# /tmp) and N WorkerRuntimes whose evaluator does no work (the test-only
# evaluator from tests/, sleep 0), so the numbers are pure lease/report/commit
# overhead per job. A table-printing program; not run in CI. ~20 s.
#   build-x/bench/worker_bench [--jobs-scale 2]
if(NOT TARGET ablate_coordinator OR NOT TARGET ablate_worker_runtime OR NOT TARGET ablate_test_evaluator)
  return()
endif()
add_executable(worker_bench ${CMAKE_CURRENT_SOURCE_DIR}/worker_bench.cc)
target_link_libraries(worker_bench PRIVATE ablate_coordinator ablate_worker_runtime
  ablate_test_evaluator ablate_grpc_proto)
