// allocation_policy.h: glibc malloc settings for processes that run tensor
// forwards (ablate, ablate-worker, the model benches). By default glibc serves
// every allocation over its (adaptive, at most 32 MiB) mmap threshold with a
// fresh mmap and unmaps it on free, so each forward's large temporaries
// (activations, attention score blocks, logits chunks) are page-faulted and
// zeroed by the kernel again on every call. ApplyAllocationPolicy serves them
// from the heap instead and keeps up to kAllocationTrimBytes of freed heap for
// the next call. Peak memory is unchanged (the same tensors are alive at once);
// memory freed after a peak is returned to the system only above that slack.
//
// It also gives the process one malloc arena. glibc gives threads arenas of
// their own (up to 8 per core), and memory one arena frees never serves
// another's requests; LibTorch's intra-op threads and the blocks' per-matrix
// loops allocate temporaries on their own threads, so each arena kept its own
// slack and a bf16 2048-token Qwen3.5-0.8B run peaked ~0.1 GiB higher
// (docs/performance.md, "Worker memory in a full run"). The forward allocates
// a few hundred large blocks per layer, so one arena's lock costs nothing
// measurable (models_bench, same run).
//
// ReleaseFreeMemory returns the free pages inside the heap to the system
// (glibc's malloc_trim), not only those at its top: a model load frees its
// construction-time placeholders and file buffers below the weights, and the
// next forward's temporaries would otherwise land on pages still resident
// from them.
//
// Thread-safety: ApplyAllocationPolicy once at process start, before threads
// allocate; ReleaseFreeMemory from any thread (glibc locks each arena).
//
//   int main(int argc, char** argv) { ablate::ApplyAllocationPolicy(); ... }
#ifndef ABLATE_COMMON_ALLOCATION_POLICY_H_
#define ABLATE_COMMON_ALLOCATION_POLICY_H_

#include <cstdint>

namespace ablate {

// Freed heap memory kept for reuse instead of being returned to the system.
inline constexpr int64_t kAllocationTrimBytes = int64_t{1} << 30;

// Sets M_MMAP_MAX to 0 (no per-allocation mmap), M_TRIM_THRESHOLD to
// kAllocationTrimBytes and M_ARENA_MAX to 1. Returns false (and changes
// nothing further) if glibc refuses a setting, or on a C library without
// mallopt.
bool ApplyAllocationPolicy();

// Returns the heap's free pages to the system. A no-op without glibc.
void ReleaseFreeMemory();

}  // namespace ablate

#endif  // ABLATE_COMMON_ALLOCATION_POLICY_H_
