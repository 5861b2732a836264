# bench/eval.cmake: evaluation throughput (forward + metric) per architecture,
# a table-printing program, not run in CI.
#   build-x/bench/eval_bench [--quick] [--device cuda]
if(NOT ABLATE_WITH_TORCH OR NOT TARGET ablate_eval OR NOT TARGET ablate_models)
  return()
endif()
add_executable(eval_bench ${CMAKE_CURRENT_SOURCE_DIR}/eval_bench.cc)
target_link_libraries(eval_bench PRIVATE ablate_eval ablate_models)
