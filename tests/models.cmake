# tests/models.cmake: model zoo end-to-end tests.
#  - models_golden_<dir>: `ablate model check-golden` on every directory of
#    ${ABLATE_SHARED_DIR}/golden (found at configure time; re-run cmake to pick up new ones).
#  - models_multimodal_test: the multimodal Qwen3.5 checkpoint layout.
#  - models_safetensors_fuzz: a bounded libFuzzer run of the safetensors parser
#    (built with clang++ in a side build; skipped when clang++ is absent).
if(NOT ABLATE_WITH_TORCH OR NOT TARGET ablate_models)
  return()
endif()

file(GLOB ABLATE_GOLDEN_DIRS LIST_DIRECTORIES true "${ABLATE_SHARED_DIR}/golden/*")
foreach(dir ${ABLATE_GOLDEN_DIRS})
  if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/expected.safetensors)
    get_filename_component(name ${dir} NAME)
    add_test(NAME models_golden_${name} COMMAND ablate model check-golden ${dir})
    set_tests_properties(models_golden_${name} PROPERTIES LABELS "models;golden" TIMEOUT 300)
  endif()
endforeach()

ablate_test(NAME models_multimodal_test SRCS models_multimodal_test.cc LIBS ablate_models LABELS models)

add_test(NAME models_safetensors_fuzz
  COMMAND sh ${CMAKE_SOURCE_DIR}/worker/models/fuzz/run_fuzz.sh ${CMAKE_SOURCE_DIR}
          ${CMAKE_BINARY_DIR}/safetensors_fuzz 20)
set_tests_properties(models_safetensors_fuzz PROPERTIES
  LABELS "models;fuzz" TIMEOUT 400 SKIP_REGULAR_EXPRESSION "SKIP:")

# A family added from outside the product code: the TEST-ONLY Mamba-2 stack
# (tests/families/) registered by the test, loaded, run and ablated.
ablate_test(NAME models_family_extension_test
  SRCS models_family_extension_test.cc families/mamba2_stack.cc LIBS ablate_models LABELS models)
