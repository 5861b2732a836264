# tests/report.cmake: `ablate report` end to end: a small real sweep with the
# product evaluator, the report from the database file and over gRPC, opened
# in headless Chromium (skips when Chromium or the evaluator is absent).
if(TARGET ablate_e2e_cluster AND TARGET ablate_report)
  ablate_test(NAME e2e_report_test
    SRCS ${CMAKE_CURRENT_SOURCE_DIR}/e2e_report_test.cc
    LIBS ablate_e2e_cluster ablate_headless_chromium
    LABELS report  # one label: ablate_test passes LABELS through PROPERTIES, which takes a single value
    TIMEOUT 400)
  add_dependencies(e2e_report_test ablate ablate-coordinator)
  if(TARGET ablate_eval AND EXISTS ${CMAKE_SOURCE_DIR}/worker/eval/lm_evaluator.cc)
    target_compile_definitions(e2e_report_test PRIVATE ABLATE_HAVE_LM_EVALUATOR=1)
  endif()
endif()
