// autoscaler.cc: see autoscaler.h.
#include "launch/autoscaler.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace ablate::launch {
namespace {

absl::Status MakeDirs(const std::string& dir) {
  std::string path;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      path = dir.substr(0, i);
      if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::PermissionDeniedError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LaunchedArray> LaunchWorkerArray(const WorkerArrayOptions& options, int count,
                                                const SlurmClient& slurm) {
  if (count < 1) return absl::InvalidArgumentError("workers launch: want at least 1 worker");
  absl::StatusOr<std::string> script = RenderWorkerScript(options);
  if (!script.ok()) return script.status();
  if (absl::Status s = MakeDirs(options.log_dir); !s.ok()) return s;
  LaunchedArray launched;
  launched.script_path = absl::StrCat(options.log_dir, "/", options.job_name, ".sbatch");
  {
    const std::string tmp = launched.script_path + ".tmp";
    std::ofstream out(tmp, std::ios::trunc);
    out << *script;
    out.close();
    if (!out || std::rename(tmp.c_str(), launched.script_path.c_str()) != 0) {
      return absl::PermissionDeniedError(absl::StrCat("cannot write ", launched.script_path));
    }
    chmod(launched.script_path.c_str(), 0755);
  }
  absl::StatusOr<std::string> job = slurm.Submit(SbatchArgv(options, launched.script_path, count));
  if (!job.ok()) return job.status();
  launched.job_id = *job;
  return launched;
}

Autoscaler::Autoscaler(WorkerArrayOptions array, AdaptOptions adapt, const SlurmClient* slurm, QueueReader read_queue,
                       std::function<void(const std::string&)> log)
    : array_(std::move(array)),
      slurm_(slurm),
      read_queue_(std::move(read_queue)),
      log_(std::move(log)),
      policy_(adapt) {}

absl::StatusOr<AdaptDecision> Autoscaler::Tick() {
  absl::StatusOr<QueueSnapshot> queue = read_queue_();
  if (!queue.ok()) return queue.status();
  absl::StatusOr<std::vector<SlurmTask>> tasks = slurm_->ListTasks(array_.job_name);
  if (!tasks.ok()) return tasks.status();
  AdaptDecision d = policy_.Decide(queue->outstanding_jobs, *tasks, queue->workers);
  if (d.submit > 0) {
    absl::StatusOr<LaunchedArray> launched = LaunchWorkerArray(array_, d.submit, *slurm_);
    if (!launched.ok()) return launched.status();
    log_(absl::StrCat("autoscale: ", queue->outstanding_jobs, " job(s) outstanding, ", d.current,
                      " worker task(s); submitted ", d.submit, " more (array ", launched->job_id, ")"));
  }
  if (!d.cancel.empty()) {
    if (absl::Status s = slurm_->Cancel(d.cancel); !s.ok()) return s;
    log_(absl::StrCat("autoscale: ", queue->outstanding_jobs, " job(s) outstanding, ", d.current,
                      " worker task(s); cancelled idle/pending ", absl::StrJoin(d.cancel, " ")));
  }
  return d;
}

absl::Status Autoscaler::Run(absl::Duration interval, const std::function<bool()>& stop, bool until_done) {
  while (!stop()) {
    absl::StatusOr<AdaptDecision> d = Tick();
    if (!d.ok()) {
      log_(absl::StrCat("autoscale: ", d.status().message(), " (retrying next tick)"));
    } else if (until_done && d->target == 0 && d->current == 0) {
      log_("autoscale: no outstanding jobs and no worker tasks; done");
      return absl::OkStatus();
    }
    const absl::Time until = absl::Now() + interval;
    while (!stop() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(200));
  }
  return absl::OkStatus();
}

}  // namespace ablate::launch
