# bench/reuse.cmake: a full layer sweep with and without residual-stream reuse
# (a table-printing program, not run in CI).
#   build/bench/reuse_bench [--quick] [--family qwen2]
if(NOT ABLATE_WITH_TORCH OR NOT TARGET ablate_eval OR NOT TARGET ablate_models)
  return()
endif()
add_executable(reuse_bench ${CMAKE_CURRENT_SOURCE_DIR}/reuse_bench.cc)
target_link_libraries(reuse_bench PRIVATE ablate_eval ablate_models)
