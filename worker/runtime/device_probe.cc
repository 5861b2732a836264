// device_probe.cc: see device_probe.h.
#include "worker/runtime/device_probe.h"

#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ablate::worker {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

// "cuda" -> 0, "cuda:3" -> 3, anything else -> -1.
int CudaIndex(absl::string_view device) {
  if (device == "cuda") return 0;
  if (!absl::ConsumePrefix(&device, "cuda:")) return -1;
  int index = -1;
  if (!absl::SimpleAtoi(device, &index) || index < 0) return -1;
  return index;
}

// Runs nvidia-smi for one GPU; false if it is absent or prints nothing usable.
bool QueryNvidiaSmi(int index, int64_t* total, int64_t* free) {
  const std::string command = absl::StrCat(
      "nvidia-smi --query-gpu=memory.total,memory.free --format=csv,noheader,nounits -i ", index, " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  char line[256] = {0};
  const bool got = fgets(line, sizeof(line), pipe) != nullptr;
  pclose(pipe);
  if (!got) return false;
  std::vector<std::string> parts = absl::StrSplit(line, ',');
  int64_t total_mib = 0, free_mib = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[0]), &total_mib) ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[1]), &free_mib)) {
    return false;
  }
  *total = total_mib * kMiB;
  *free = free_mib * kMiB;
  return true;
}

}  // namespace

absl::Status ValidateDevice(absl::string_view device) {
  if (device == "cpu" || CudaIndex(device) >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("device: '", device, "' is not 'cpu' or 'cuda:N'"));
}

absl::StatusOr<std::string> ResolveDevice(absl::string_view device, bool cuda_available, const char* slurm_localid,
                                          const char* local_rank, const char* cuda_visible_devices) {
  if (device != "auto") {
    if (absl::Status s = ValidateDevice(device); !s.ok()) return s;
    return std::string(device);
  }
  if (!cuda_available) return std::string("cpu");
  if (cuda_visible_devices != nullptr && *cuda_visible_devices != '\0' &&
      !absl::StrContains(cuda_visible_devices, ',')) {
    return std::string("cuda:0");
  }
  for (const char* value : {slurm_localid, local_rank}) {
    int index = -1;
    if (value != nullptr && absl::SimpleAtoi(value, &index) && index >= 0) {
      return absl::StrCat("cuda:", index);
    }
  }
  return std::string("cuda:0");
}

v1::DeviceInfo ProbeDevice(const std::string& device) {
  v1::DeviceInfo info;
  info.set_name(device);
  if (device == "cpu") {
    struct sysinfo si {};
    if (sysinfo(&si) == 0) {
      info.set_total_memory_bytes(static_cast<int64_t>(si.totalram) * si.mem_unit);
      info.set_free_memory_bytes(static_cast<int64_t>(si.freeram + si.bufferram) * si.mem_unit);
    }
    return info;
  }
  const int index = CudaIndex(device);
  int64_t total = 0, free = 0;
  if (index >= 0 && QueryNvidiaSmi(index, &total, &free)) {
    info.set_total_memory_bytes(total);
    info.set_free_memory_bytes(free);
  }
  return info;
}

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "unknown-host";
  return buf;
}

}  // namespace ablate::worker
