// figures_fragment.cc: see figures_fragment.h.
#include "coordinator/http/figures_fragment.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "coordinator/http/scheduler_study_source.h"
#include "report/html_page.h"
#include "report/study_source.h"

namespace ablate::coordinator::http {
namespace {

std::string VersionOf(const v1::SweepInfo& s) {
  const v1::SweepCounts& c = s.counts();
  return absl::StrCat(s.state(), "/", c.total(), "/", c.succeeded(), "/", c.failed(), "/", c.cancelled());
}

std::string Wrap(const v1::SweepInfo& s, const std::string& body) {
  return absl::StrCat("<section class=\"figures\" data-sweep=\"", s.sweep_id(), "\" data-done=\"",
                      s.counts().succeeded() + s.counts().failed() + s.counts().cancelled(), "\">\n", body,
                      "</section>\n");
}

}  // namespace

absl::StatusOr<std::string> FiguresFragments::Render(int64_t sweep_id, const auth::Caller& caller) {
  // Access is decided here, every time; the cache is keyed by sweep only
  // because what the figures show does not depend on who may see them.
  absl::StatusOr<v1::SweepInfo> sweep = core_->GetSweep(sweep_id, caller);
  if (!sweep.ok()) return sweep.status();
  const std::string version = VersionOf(*sweep);
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(sweep_id);
    if (it != cache_.end() && it->second.version == version) {
      it->second.used = ++clock_;
      return it->second.html;
    }
  }
  std::string html;
  if (sweep->counts().total() > options_.max_jobs) {
    html = Wrap(*sweep, absl::StrCat("<p class=\"note\">This sweep has ", sweep->counts().total(),
                                     " jobs; the dashboard draws sweeps of up to ", options_.max_jobs,
                                     " jobs. Write its figures with <code>ablate report ", sweep_id,
                                     " --coordinator ADDR -o report.html</code>.</p>\n"));
  } else {
    SchedulerStudySource source(core_, caller);
    absl::StatusOr<report::StudyData> data = report::LoadStudy(source, sweep_id);
    if (!data.ok()) return data.status();
    html = Wrap(*sweep, report::RenderFiguresHtml(*data));
  }
  absl::MutexLock lock(&mu_);
  Entry& e = cache_[sweep_id];
  e.version = version;
  e.html = html;
  e.used = ++clock_;
  while (static_cast<int>(cache_.size()) > options_.max_cached) {
    auto oldest = cache_.begin();
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->second.used < oldest->second.used) oldest = it;
    }
    cache_.erase(oldest);
  }
  return html;
}

}  // namespace ablate::coordinator::http
