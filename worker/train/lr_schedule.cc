// lr_schedule.cc: warmup + cosine.
#include "worker/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace ablate::train {

double WarmupCosine::At(int64_t step) const {
  if (step < warmup_steps) return peak_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const double floor = peak_lr * min_lr_ratio;
  const int64_t decay_steps = total_steps - warmup_steps - 1;
  if (decay_steps <= 0) return peak_lr;
  const double t = std::min(1.0, static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps));
  return floor + 0.5 * (peak_lr - floor) * (1.0 + std::cos(M_PI * t));
}

}  // namespace ablate::train
