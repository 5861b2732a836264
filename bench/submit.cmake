# bench/submit.cmake: SubmitSweep of a ~10^6-job sweep through the real
# coordinator (loopback, SQLite file in /tmp), stored in one transaction vs
# created in the background (all, or a bounded backlog); prints accept time,
# creation time, peak RSS, worst LeaseJobs / GetSweep latency meanwhile, and
# cancel time. ~1-2 min, ~3 GB peak for the one-transaction row.
#   build/bench/submit_bench
#   build/bench/submit_bench --modes all,bound --seeds 100   # ~98k jobs, quick
if(NOT TARGET ablate_coordinator)
  return()
endif()
add_executable(submit_bench ${CMAKE_CURRENT_SOURCE_DIR}/submit_bench.cc)
target_link_libraries(submit_bench PRIVATE ablate_coordinator ablate_grpc_proto)
target_compile_definitions(submit_bench PRIVATE ABLATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
