# tests/text.cmake: end-to-end checks of `ablate tokenize` / `ablate detokenize`
# (runs the built CLI on the golden tokenization probes).
if(NOT TARGET ablate OR NOT TARGET ablate_text)
  return()
endif()
ablate_test(NAME text_cli_test SRCS ${CMAKE_CURRENT_SOURCE_DIR}/text_cli_test.cc LIBS ablate_common)
if(TARGET text_cli_test)
  add_dependencies(text_cli_test ablate)
  target_compile_definitions(text_cli_test PRIVATE ABLATE_CLI="$<TARGET_FILE:ablate>")
endif()
