# tests/models.cmake: model zoo end-to-end tests.
#  - models_golden_<dir>: `ablate model check-golden` on every directory of
#    ${ABLATE_SHARED_DIR}/golden (found at configure time; re-run cmake to pick up new ones).
#  - models_multimodal_test: the multimodal Qwen3.5 checkpoint layout.
#  - models_safetensors_fuzz: a bounded libFuzzer run of the safetensors parser
#    (built with clang++ in a side build; skipped when clang++ is absent).
#  - models_full_size_<model>_{write,f32,bf16}: random-weight checkpoints of the
#    real Qwen2.5-0.5B, Qwen3.5-0.8B (multimodal layout) and Falcon-H1-0.5B
#    configs (spec/testdata), each loaded in float32 and bf16 in its own process:
#    a forward, decode steps that match it, peak RSS <= weights x 1.3 + 0.5 GiB
#    (tests/full_size_checkpoint.cc). One at a time (at most 1.5 GB of files and
#    3.2 GiB of memory); "SKIP:" when the machine lacks the memory.
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

add_executable(full_size_checkpoint ${CMAKE_CURRENT_SOURCE_DIR}/full_size_checkpoint.cc)
target_link_libraries(full_size_checkpoint PRIVATE ablate_models ablate_common)
foreach(model qwen2.5-0.5b qwen3.5-0.8b falcon-h1-0.5b)
  set(dir ${CMAKE_BINARY_DIR}/full_size/${model})
  add_test(NAME models_full_size_${model}_write
    COMMAND full_size_checkpoint write ${CMAKE_SOURCE_DIR}/spec/testdata/${model}/config.json ${dir})
  set_tests_properties(models_full_size_${model}_write PROPERTIES LABELS "models;full_size" TIMEOUT 600
    FIXTURES_SETUP full_size_${model} RESOURCE_LOCK full_size_memory SKIP_REGULAR_EXPRESSION "SKIP:")
  foreach(dtype f32 bf16)
    add_test(NAME models_full_size_${model}_${dtype} COMMAND full_size_checkpoint check ${dir} ${dtype})
    set_tests_properties(models_full_size_${model}_${dtype} PROPERTIES LABELS "models;full_size" TIMEOUT 600
      FIXTURES_REQUIRED full_size_${model} RESOURCE_LOCK full_size_memory SKIP_REGULAR_EXPRESSION "SKIP:")
  endforeach()
  add_test(NAME models_full_size_${model}_cleanup COMMAND ${CMAKE_COMMAND} -E rm -rf ${dir})
  set_tests_properties(models_full_size_${model}_cleanup PROPERTIES LABELS "models;full_size"
    FIXTURES_CLEANUP full_size_${model})
endforeach()

# A family added from outside the product code: the TEST-ONLY Mamba-2 stack
# (tests/families/) registered by the test, loaded, run and ablated.
ablate_test(NAME models_family_extension_test
  SRCS models_family_extension_test.cc families/mamba2_stack.cc LIBS ablate_models LABELS models)
