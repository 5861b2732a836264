// allocation_policy.cc: see allocation_policy.h.
#include "common/allocation_policy.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ablate {

bool ApplyAllocationPolicy() {
#if defined(__GLIBC__)
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, static_cast<int>(kAllocationTrimBytes)) == 1 &&
         mallopt(M_ARENA_MAX, 1) == 1;
#else
  return false;
#endif
}

void ReleaseFreeMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace ablate
