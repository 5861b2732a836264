# tests/eval.cmake: cross-module tests of the evaluation engine (ablate_eval
# with the model zoo, the text library and the golden checkpoints).
if(TARGET ablate_eval)
  ablate_test(NAME eval_evaluator_test
    SRCS ${CMAKE_CURRENT_LIST_DIR}/eval_evaluator_test.cc ${CMAKE_CURRENT_LIST_DIR}/eval_tasks_test.cc
         ${CMAKE_CURRENT_LIST_DIR}/eval_forward_batches_test.cc ${CMAKE_CURRENT_LIST_DIR}/eval_reuse_test.cc
    LIBS ablate_eval ablate_models ablate_text
    LABELS eval)
endif()
