# tests/spec.cmake: `ablate expand` end to end on the reference-study example,
# with the model layouts taken from spec/testdata (the checkpoints are not needed).
if(TARGET ablate)
  set(_spec_layouts
    --layout qwen3.5-0.8b=${CMAKE_SOURCE_DIR}/spec/testdata/qwen3.5-0.8b
    --layout falcon-h1-0.5b=${CMAKE_SOURCE_DIR}/spec/testdata/falcon-h1-0.5b
    --layout qwen2.5-0.5b=${CMAKE_SOURCE_DIR}/spec/testdata/qwen2.5-0.5b)
  add_test(NAME spec_cli_expand_reference_study
    COMMAND ablate expand ${CMAKE_SOURCE_DIR}/examples/reference-study.yaml ${_spec_layouts})
  set_tests_properties(spec_cli_expand_reference_study PROPERTIES
    PASS_REGULAR_EXPRESSION "falcon-h1-0.5b +layer_sweep +108 +756.*total +380 +2660")
  add_test(NAME spec_cli_expand_reference_study_json
    COMMAND ablate expand ${CMAKE_SOURCE_DIR}/examples/reference-study.yaml ${_spec_layouts} --json)
  set_tests_properties(spec_cli_expand_reference_study_json PROPERTIES
    PASS_REGULAR_EXPRESSION "\"label\":\"random-pairs/match=ssm/t4\".*\"evaluation\":\\{\"name\":\"truthfulqa-mc1\".*\"index\":2659")
  # Without the checkpoints the default layout source fails with one clear line.
  add_test(NAME spec_cli_expand_missing_checkpoint
    COMMAND ablate expand ${CMAKE_SOURCE_DIR}/examples/reference-study.yaml)
  set_tests_properties(spec_cli_expand_missing_checkpoint PROPERTIES
    PASS_REGULAR_EXPRESSION "ablate: models\\[0\\] \\('qwen3.5-0.8b'\\): ")
  add_test(NAME spec_cli_expand_bad_layout_flag
    COMMAND ablate expand ${CMAKE_SOURCE_DIR}/examples/reference-study.yaml --layout nosuchmodel=/tmp)
  set_tests_properties(spec_cli_expand_bad_layout_flag PROPERTIES WILL_FAIL TRUE)
  # Bounded cost (docs/limits.md): refused from the counts, before anything is built.
  add_test(NAME spec_cli_expand_huge_layers
    COMMAND ablate expand ${CMAKE_SOURCE_DIR}/spec/testdata/limits/huge-layers.yaml)
  set_tests_properties(spec_cli_expand_huge_layers PROPERTIES LABELS "limits" TIMEOUT 20
    PASS_REGULAR_EXPRESSION "num_hidden_layers: 2000000000 is more than the limit of 4096")
  add_test(NAME spec_cli_expand_huge_trials
    COMMAND ablate expand ${CMAKE_SOURCE_DIR}/spec/testdata/limits/huge-trials.yaml
            --layout q=${CMAKE_SOURCE_DIR}/spec/testdata/qwen2.5-0.5b)
  set_tests_properties(spec_cli_expand_huge_trials PROPERTIES LABELS "limits" TIMEOUT 20
    PASS_REGULAR_EXPRESSION "random.trials: 3000000 is more than the limit of 100000")
endif()
