# bench/text.cmake: tokenizer throughput on WikiText-2 (Google Benchmark; not run in CI).
#   build-x/bench/text_bench                                # Qwen2 tokenizer, cold and warm BPE cache
#   ABLATE_SHARED_DIR=/path/to/shared build-x/bench/text_bench --benchmark_filter=Warm
if(NOT TARGET ablate_text)
  return()
endif()
add_executable(text_bench ${CMAKE_CURRENT_SOURCE_DIR}/text_bench.cc)
target_link_libraries(text_bench PRIVATE ablate_text benchmark::benchmark)
target_compile_definitions(text_bench PRIVATE ABLATE_SHARED_DIR="${ABLATE_SHARED_DIR}")
