// worker_array.cc: see worker_array.h.
#include "launch/worker_array.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ablate::launch {
namespace {

// Slurm values that end up in #SBATCH lines: printable, no spaces or quotes.
bool PlainToken(const std::string& s) {
  for (unsigned char c : s) {
    if (!absl::ascii_isgraph(c) || c == '\'' || c == '"' || c == '\\' || c == '#') return false;
  }
  return true;
}

bool NoControlChars(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

absl::Status Bad(const char* field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("workers launch: ", field, ": ", why));
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string WorkerNameForTask(const std::string& slurm_task_id) { return absl::StrCat("slurm-", slurm_task_id); }

absl::Status ValidateWorkerArrayOptions(const WorkerArrayOptions& o) {
  if (o.coordinator.empty() || !PlainToken(o.coordinator) || !absl::StrContains(o.coordinator, ':')) {
    return Bad("coordinator", "want host:port");
  }
  if (o.worker_binary.empty() || o.worker_binary[0] != '/' || !NoControlChars(o.worker_binary)) {
    return Bad("worker binary", "want an absolute path");
  }
  if (o.log_dir.empty() || !PlainToken(o.log_dir)) {
    return Bad("log dir", "want a directory path without spaces or quotes");
  }
  for (const auto& [field, value] : {std::pair<const char*, const std::string*>{"job name", &o.job_name},
                                     {"partition", &o.partition},
                                     {"account", &o.account},
                                     {"time", &o.time_limit},
                                     {"mem", &o.memory},
                                     {"device", &o.device}}) {
    if (!PlainToken(*value)) return Bad(field, "no spaces, quotes or control characters");
  }
  if (o.job_name.empty()) return Bad("job name", "empty");
  if (o.gpus < 0 || o.gpus > 64) return Bad("gpus", "want 0..64 per worker");
  if (o.cpus < 1 || o.cpus > 1024) return Bad("cpus", "want 1..1024 per worker");
  if (o.signal_grace_s < 1 || o.signal_grace_s > 65535) return Bad("grace", "want 1..65535 s");
  if (o.drain_grace_s < 0 || o.drain_grace_s >= o.signal_grace_s) {
    return Bad("drain grace", "want 0 <= drain grace < signal grace");
  }
  if (o.idle_exit_s < 0 || o.startup_timeout_s < 0) return Bad("idle/startup", "want >= 0");
  for (const std::string& a : o.sbatch_args) {
    if (!NoControlChars(a)) return Bad("sbatch arg", "control characters");
  }
  for (const std::string& a : o.worker_args) {
    if (!NoControlChars(a)) return Bad("worker arg", "control characters");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RenderWorkerScript(const WorkerArrayOptions& o) {
  if (absl::Status s = ValidateWorkerArrayOptions(o); !s.ok()) return s;
  std::string s = "#!/usr/bin/env bash\n";
  absl::StrAppend(&s,
                  "# Written by `ablate workers launch --slurm`: one ablate worker per array task.\n"
                  "# The worker drains on SIGTERM (time limit via --signal, scancel, requeue,\n"
                  "# preemption); this shell forwards the signal, waits, and exits with the\n"
                  "# worker's code (non-zero if it could not start).\n");
  auto line = [&s](const std::string& option) { absl::StrAppend(&s, "#SBATCH ", option, "\n"); };
  line(absl::StrCat("--job-name=", o.job_name));
  line("--ntasks=1");
  line(absl::StrCat("--cpus-per-task=", o.cpus));
  if (o.gpus > 0) line(absl::StrCat("--gres=gpu:", o.gpus));
  if (!o.memory.empty()) line(absl::StrCat("--mem=", o.memory));
  if (!o.time_limit.empty()) line(absl::StrCat("--time=", o.time_limit));
  if (!o.partition.empty()) line(absl::StrCat("--partition=", o.partition));
  if (!o.account.empty()) line(absl::StrCat("--account=", o.account));
  line(absl::StrCat("--signal=B:TERM@", o.signal_grace_s));
  line(o.requeue ? "--requeue" : "--no-requeue");
  line("--open-mode=append");
  line(absl::StrCat("--output=", o.log_dir, "/", o.job_name, "-%A_%a.out"));
  const std::string device = !o.device.empty() ? o.device : (o.gpus > 0 ? "auto" : "cpu");
  std::vector<std::string> worker = {o.worker_binary,
                                     "--coordinator",
                                     o.coordinator,
                                     "--device",
                                     device,
                                     "--drain-grace-ms",
                                     absl::StrCat(int64_t{o.drain_grace_s} * 1000),
                                     "--idle-exit-ms",
                                     absl::StrCat(int64_t{o.idle_exit_s} * 1000),
                                     "--startup-timeout-ms",
                                     absl::StrCat(int64_t{o.startup_timeout_s} * 1000)};
  worker.insert(worker.end(), o.worker_args.begin(), o.worker_args.end());
  std::vector<std::string> quoted;
  for (const std::string& w : worker) quoted.push_back(ShellQuote(w));
  absl::StrAppend(&s, R"(
set -u
task="${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-0}}_${SLURM_ARRAY_TASK_ID:-0}"
echo "ablate: worker slurm-$task on $(hostname) (restart ${SLURM_RESTART_COUNT:-0}), CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-<unset>}"
worker_pid=""
interrupted=0
on_term() {
  interrupted=1
  echo "ablate: SIGTERM: draining worker slurm-$task"
  [[ -n "$worker_pid" ]] && kill -TERM "$worker_pid" 2>/dev/null
}
trap on_term TERM INT
)",
                  absl::StrJoin(quoted, " "), R"( --name "slurm-$task" &
worker_pid=$!
# `wait` returns early (128+signal) when the trap runs: wait again for the
# worker's own exit code. 127: reaped by an earlier wait, keep that code.
code=""
while true; do
  interrupted=0
  wait "$worker_pid"
  c=$?
  if ((c == 127)) && [[ -n "$code" ]]; then break; fi
  code=$c
  ((interrupted)) || break
done
echo "ablate: worker slurm-$task exited with code $code"
exit "$code"
)");
  return s;
}

std::vector<std::string> SbatchArgv(const WorkerArrayOptions& o, const std::string& script_path, int count) {
  std::vector<std::string> argv = {"sbatch", "--parsable", absl::StrCat("--array=0-", count > 0 ? count - 1 : 0)};
  argv.insert(argv.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  argv.push_back(script_path);
  return argv;
}

}  // namespace ablate::launch
