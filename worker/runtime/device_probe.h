// device_probe.h: what a worker tells the coordinator about its machine at
// registration: host name and the device's total/free memory. No LibTorch:
// CPU memory comes from sysinfo(2); a CUDA device's from `nvidia-smi` when it
// is on PATH (0 = unknown otherwise). Only informational (placement, `ablate
// workers`); nothing depends on the numbers being exact.
//
// Thread-safe (no shared state).
//
//   RETURN_IF_ERROR(ValidateDevice("cuda:1"));
//   v1::DeviceInfo info = ProbeDevice("cuda:1");
#ifndef ABLATE_WORKER_RUNTIME_DEVICE_PROBE_H_
#define ABLATE_WORKER_RUNTIME_DEVICE_PROBE_H_

#include <string>

#include "ablate/v1/worker.pb.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::worker {

// OK for "cpu", "cuda" and "cuda:N" (N >= 0); InvalidArgument otherwise
// ("auto" included: resolve it first).
absl::Status ValidateDevice(absl::string_view device);

// Resolves "auto": "cuda:LOCAL" when `cuda_available`, LOCAL being the first
// of `slurm_localid` (SLURM_LOCALID) and `local_rank` (LOCAL_RANK) that is a
// non-negative integer, else 0; "cpu" otherwise. If the scheduler already
// narrowed the visible GPUs to one (`cuda_visible_devices` without a comma,
// e.g. --gpus-per-task=1), that GPU is cuda:0 whatever the local rank.
// Any other device is returned unchanged after ValidateDevice. Null pointers
// mean unset variables.
absl::StatusOr<std::string> ResolveDevice(absl::string_view device, bool cuda_available, const char* slurm_localid,
                                          const char* local_rank, const char* cuda_visible_devices);

// Name and memory of the device; memory fields are 0 when unknown.
v1::DeviceInfo ProbeDevice(const std::string& device);

// gethostname(2), or "unknown-host".
std::string HostName();

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_DEVICE_PROBE_H_
