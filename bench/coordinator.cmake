# bench/coordinator.cmake: coordinator throughput on loopback (real server,
# real SQLite file in /tmp, 64 worker threads); prints a table (jobs/s, lease
# and complete latency mean/p50/p99, CPU per job). ~30 s per --group-commit-ms value.
#   build-x/bench/coordinator_bench                # default: 49k-job sweep
#   build-x/bench/coordinator_bench --seconds 3 --group-commit-ms 5,0   # fixed window vs none
#   build-x/bench/coordinator_bench --seconds 5 --threads 16
#   build-x/bench/coordinator_bench --seconds 3 --server process   # ablate-coordinator in its own process
if(NOT TARGET ablate_coordinator OR NOT TARGET ablate_subprocess)
  return()
endif()
add_executable(coordinator_bench ${CMAKE_CURRENT_SOURCE_DIR}/coordinator_bench.cc)
# ablate_subprocess (tests/testing): the coordinator process of --server process.
target_link_libraries(coordinator_bench PRIVATE ablate_coordinator ablate_grpc_proto ablate_subprocess
  benchmark::benchmark)
target_compile_definitions(coordinator_bench PRIVATE ABLATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
# --server process runs the coordinator binary of the same build.
if(TARGET ablate-coordinator)
  add_dependencies(coordinator_bench ablate-coordinator)
endif()
