# bench/spec.cmake: sweep expansion throughput (Google Benchmark; not run in CI).
#   build-x/bench/spec_bench                 # ~1M-job grid: ExpandSweep, CountSweep
#   build-x/bench/spec_bench --benchmark_filter=Count
if(NOT TARGET ablate_spec)
  return()
endif()
add_executable(spec_bench ${CMAKE_CURRENT_SOURCE_DIR}/spec_bench.cc)
target_link_libraries(spec_bench PRIVATE ablate_spec benchmark::benchmark benchmark::benchmark_main)
