# tests/fuzz.cmake: bounded libFuzzer runs of the parsers that read untrusted
# input (docs/limits.md, "Fuzzing"): sweep specs, config.json, tokenizer.json.
# fuzz_build builds them with clang++ in a side build (tests/fuzz/); each
# fuzz_<target> then runs for 15 s on its seed corpus. Skipped (not failed)
# when clang++ or its libFuzzer runtime is absent. The long run (10^6
# executions each) is the documented command in docs/limits.md.
set(ABLATE_FUZZ_BUILD ${CMAKE_BINARY_DIR}/parser_fuzz)
add_test(NAME fuzz_build
  COMMAND sh ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzz.sh build ${CMAKE_SOURCE_DIR} ${ABLATE_FUZZ_BUILD})
set_tests_properties(fuzz_build PROPERTIES LABELS "fuzz" TIMEOUT 600 FIXTURES_SETUP parser_fuzz
  SKIP_REGULAR_EXPRESSION "SKIP:")
foreach(pair "spec_parser_fuzz:spec" "model_config_fuzz:config" "tokenizer_fuzz:tokenizer")
  string(REPLACE ":" ";" parts ${pair})
  list(GET parts 0 target)
  list(GET parts 1 seeds)
  add_test(NAME fuzz_${target}
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzz.sh run ${ABLATE_FUZZ_BUILD} ${target}
            ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${seeds} 15s)
  set_tests_properties(fuzz_${target} PROPERTIES LABELS "fuzz" TIMEOUT 120
    FIXTURES_REQUIRED parser_fuzz SKIP_REGULAR_EXPRESSION "SKIP:")
endforeach()
