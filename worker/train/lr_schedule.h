// lr_schedule.h: linear warmup then cosine decay to a floor, the usual LM
// pre-training schedule. Pure functions.
//
//   WarmupCosine s{.peak_lr = 3e-3, .warmup_steps = 50, .total_steps = 1000, .min_lr_ratio = 0.1};
//   s.At(0);    // 3e-3 / 50   (step 0 already gets a non-zero rate)
//   s.At(49);   // 3e-3
//   s.At(999);  // ~3e-4
#ifndef ABLATE_WORKER_TRAIN_LR_SCHEDULE_H_
#define ABLATE_WORKER_TRAIN_LR_SCHEDULE_H_

#include <cstdint>

namespace ablate::train {

struct WarmupCosine {
  double peak_lr = 1e-3;
  int64_t warmup_steps = 0;   // steps 0..warmup-1 ramp linearly up to peak_lr
  int64_t total_steps = 1;    // the cosine reaches min_lr at the last step
  double min_lr_ratio = 0.1;  // floor = peak_lr * min_lr_ratio

  // Learning rate for optimizer step `step` (0-based). Steps past the end stay at the floor.
  double At(int64_t step) const;
};

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_LR_SCHEDULE_H_
