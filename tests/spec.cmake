# tests/spec.cmake: `ablate expand` end to end on the reference-study example,
# with the model layouts taken from spec/testdata (the checkpoints are not needed).
# Every test checks the exit code and the output (tests/testing/expect_cli.cmake).
if(TARGET ablate)
  # ablate_cli_test(NAME n EXIT code REGEX regex ARGS args...): `ablate args...`
  # must exit with `code` and print something matching `regex`.
  function(ablate_cli_test)
    cmake_parse_arguments(T "" "NAME;EXIT;REGEX" "ARGS" ${ARGN})
    add_test(NAME ${T_NAME}
      COMMAND ${CMAKE_COMMAND} -DEXPECT_EXIT=${T_EXIT} "-DEXPECT_REGEX=${T_REGEX}"
              -P ${CMAKE_SOURCE_DIR}/tests/testing/expect_cli.cmake -- $<TARGET_FILE:ablate> ${T_ARGS})
  endfunction()
  set(_spec_layouts
    --layout qwen3.5-0.8b=${CMAKE_SOURCE_DIR}/spec/testdata/qwen3.5-0.8b
    --layout falcon-h1-0.5b=${CMAKE_SOURCE_DIR}/spec/testdata/falcon-h1-0.5b
    --layout qwen2.5-0.5b=${CMAKE_SOURCE_DIR}/spec/testdata/qwen2.5-0.5b)
  ablate_cli_test(NAME spec_cli_expand_reference_study EXIT 0
    REGEX "falcon-h1-0.5b +layer_sweep +108 +756.*total +380 +2660"
    ARGS expand ${CMAKE_SOURCE_DIR}/examples/reference-study.yaml ${_spec_layouts})
  ablate_cli_test(NAME spec_cli_expand_reference_study_json EXIT 0
    REGEX "\"label\":\"random-pairs/match=ssm/t4\".*\"evaluation\":\\{\"name\":\"truthfulqa-mc1\".*\"index\":2659"
    ARGS expand ${CMAKE_SOURCE_DIR}/examples/reference-study.yaml ${_spec_layouts} --json)
  # Without the checkpoints the default layout source fails with one clear line.
  ablate_cli_test(NAME spec_cli_expand_missing_checkpoint EXIT 1
    REGEX "ablate: models\\[0\\] \\('qwen3.5-0.8b'\\): "
    ARGS expand ${CMAKE_SOURCE_DIR}/examples/reference-study.yaml)
  # A --layout for a model the spec does not have: bad input (exit 2), named.
  ablate_cli_test(NAME spec_cli_expand_bad_layout_flag EXIT 2
    REGEX "ablate: --layout nosuchmodel=/tmp: the spec has no model 'nosuchmodel'"
    ARGS expand ${CMAKE_SOURCE_DIR}/examples/reference-study.yaml --layout nosuchmodel=/tmp)
  # Bounded cost (docs/limits.md): refused from the counts, before anything is built.
  ablate_cli_test(NAME spec_cli_expand_huge_layers EXIT 2
    REGEX "num_hidden_layers: 2000000000 is more than the limit of 4096"
    ARGS expand ${CMAKE_SOURCE_DIR}/spec/testdata/limits/huge-layers.yaml)
  set_tests_properties(spec_cli_expand_huge_layers PROPERTIES LABELS "limits" TIMEOUT 20)
  ablate_cli_test(NAME spec_cli_expand_huge_trials EXIT 2
    REGEX "random.trials: 3000000 is more than the limit of 100000"
    ARGS expand ${CMAKE_SOURCE_DIR}/spec/testdata/limits/huge-trials.yaml
         --layout q=${CMAKE_SOURCE_DIR}/spec/testdata/qwen2.5-0.5b)
  set_tests_properties(spec_cli_expand_huge_trials PROPERTIES LABELS "limits" TIMEOUT 20)
endif()
