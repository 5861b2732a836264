# tests/train.cmake: the trainer end to end (tiny models of every family, a
# few steps each: loss decreases, the checkpoint reloads bit-exactly).
if(NOT ABLATE_WITH_TORCH OR NOT TARGET ablate_train)
  return()
endif()
ablate_test(NAME train_e2e_test SRCS train_e2e_test.cc LIBS ablate_train LABELS train TIMEOUT 120)
