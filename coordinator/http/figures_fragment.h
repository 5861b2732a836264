// figures_fragment.h: the HTML fragment the sweep page shows under
// "Figures" (GET /sweeps/{id}/figures), refreshed by the dashboard as results
// land: the study report's own figures (report::RenderFiguresHtml: heatmaps,
// group bars with matched-random controls, positional thirds, resilience,
// drift, accuracy deltas), drawn from the caller's view of the sweep through
// SchedulerStudySource. The fragment carries no script and no inline style
// (the dashboard's Content-Security-Policy allows neither); dashboard.css
// styles it.
//
// Cost is bounded: a sweep of more than `max_jobs` jobs is not drawn live
// (the fragment says so and names `ablate report`), and a rendering is kept
// per sweep until the sweep's counts change, so polling dashboards re-read
// nothing while no job ends.
//
// Thread-safety: thread-safe (one mutex over the cache; rendering runs
// outside it).
#ifndef ABLATE_COORDINATOR_HTTP_FIGURES_FRAGMENT_H_
#define ABLATE_COORDINATOR_HTTP_FIGURES_FRAGMENT_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "auth/caller.h"
#include "coordinator/scheduler.h"

namespace ablate::coordinator::http {

struct FiguresOptions {
  int64_t max_jobs = 20000;  // larger sweeps: a note instead of live figures
  int max_cached = 16;       // sweeps whose rendering is kept
};

class FiguresFragments {
 public:
  FiguresFragments(Scheduler* core, FiguresOptions options) : core_(core), options_(options) {}

  // The fragment for `sweep_id` as `caller` sees it; NotFound for an unknown
  // sweep or another tenant's (checked on every call, cached or not).
  absl::StatusOr<std::string> Render(int64_t sweep_id, const auth::Caller& caller);

 private:
  struct Entry {
    std::string version;  // state and counts the rendering was made at
    std::string html;
    uint64_t used = 0;
  };
  Scheduler* core_;
  const FiguresOptions options_;
  absl::Mutex mu_;
  std::map<int64_t, Entry> cache_ ABSL_GUARDED_BY(mu_);
  uint64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_FIGURES_FRAGMENT_H_
