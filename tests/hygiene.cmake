# tests/hygiene.cmake: build hygiene checks that run with the suite (issue 13 §5).
#   thread_safety: clang's -Wthread-safety over every product unit that uses
#   the Abseil lock annotations or includes (transitively) a header that does
#   (scripts/check-thread-safety.sh, a syntax-only pass with this build's
#   flags, one clang per core; GCC ignores the annotations). Exit 2 (clang++ or
#   compile_commands.json absent) is a skip. Started first (COST): it takes
#   minutes on 2 cores.
add_test(NAME thread_safety
  COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/check-thread-safety.sh ${CMAKE_BINARY_DIR}
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(thread_safety PROPERTIES LABELS "hygiene" TIMEOUT 900 COST 10000 SKIP_RETURN_CODE 2)
#   format: every tracked .cc/.h follows .clang-format (scripts/check-format.sh
#   --all; seconds). Exit 2 (clang-format absent) is a skip.
add_test(NAME format COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/check-format.sh --all
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(format PROPERTIES LABELS "hygiene" TIMEOUT 120 SKIP_RETURN_CODE 2)
