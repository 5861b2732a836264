# tests/train.cmake: the trainer end to end (tiny models of every family, a
# few steps each: loss decreases, the checkpoint reloads bit-exactly).
if(NOT ABLATE_WITH_TORCH OR NOT TARGET ablate_train)
  return()
endif()
ablate_test(NAME train_e2e_test SRCS train_e2e_test.cc LIBS ablate_train LABELS train TIMEOUT 120)

# The shipped reference models (examples/models/) reload and reproduce their
# cards (held-out loss, token and parameter counts); `ablate model describe` on them.
ablate_test(NAME shipped_models_test SRCS shipped_models_test.cc LIBS ablate_train ablate_subprocess
  LABELS "train;models" TIMEOUT 300)
if(TARGET ablate)
  add_dependencies(shipped_models_test ablate)
endif()
