# expect_cli.cmake: runs a command and checks both its exit code and its output
# (a CTest PASS_REGULAR_EXPRESSION alone ignores the exit code; WILL_FAIL alone
# ignores the message). Used through ablate_cli_test() in tests/spec.cmake.
#
#   cmake -DEXPECT_EXIT=2 "-DEXPECT_REGEX=unknown component" -P expect_cli.cmake -- ablate expand x.yaml
#
# The output (stdout then stderr) is printed; the check fails with a message
# naming what differed. EXPECT_REGEX uses CMake's regex syntax, matched against
# stdout and stderr joined.
set(cmd)
set(seen_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last})
  if(seen_separator)
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(seen_separator TRUE)
  endif()
endforeach()
if(NOT cmd)
  message(FATAL_ERROR "expect_cli.cmake: no command after --")
endif()
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT "${rc}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "expected exit code ${EXPECT_EXIT}, got ${rc}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "the output does not match: ${EXPECT_REGEX}")
endif()
