// family.h: a metric family: one metric name and help text, and one series
// (Counter, Gauge or Histogram) per distinct set of label values. The number
// of series is bounded: once a family holds max_series of them, further label
// sets share one overflow series whose label values are all "_other", so a
// caller-controlled label (a worker id, a sweep id) cannot grow memory or the
// scrape without bound.
//
// Thread-safe: every method may be called from any thread. Series are
// shared_ptrs, so a series handed out stays valid after Clear().
//
//   Family<Gauge> f("ablate_jobs", "Jobs by state", {"state"}, 100, [] { ... });
//   f.With({"queued"})->Set(12);
#ifndef ABLATE_COORDINATOR_METRICS_FAMILY_H_
#define ABLATE_COORDINATOR_METRICS_FAMILY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ablate::coordinator::metrics {

inline constexpr char kOverflowLabelValue[] = "_other";

template <typename M>
class Family {
 public:
  using Factory = std::function<std::shared_ptr<M>()>;

  // REQUIRES: name and label names valid (exposition.h); max_series >= 1.
  Family(std::string name, std::string help, std::vector<std::string> label_names, size_t max_series, Factory make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        max_series_(max_series < 1 ? 1 : max_series),
        make_(std::move(make)) {}
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // The series for `values` (one per label name; missing ones are "", extra
  // ones dropped), created on first use.
  std::shared_ptr<M> With(std::vector<std::string> values) {
    values.resize(label_names_.size());
    absl::MutexLock lock(&mu_);
    auto it = series_.find(values);
    if (it != series_.end()) return it->second;
    if (series_.size() >= max_series_) {
      values.assign(label_names_.size(), kOverflowLabelValue);
      it = series_.find(values);
      if (it != series_.end()) return it->second;
    }
    std::shared_ptr<M> m = make_();
    series_.emplace(std::move(values), m);
    return m;
  }

  // Drops every series (for gauges recomputed at each scrape).
  void Clear() {
    absl::MutexLock lock(&mu_);
    series_.clear();
  }

  // A consistent copy of (label values, series), ordered by label values.
  std::vector<std::pair<std::vector<std::string>, std::shared_ptr<M>>> Series() const {
    absl::MutexLock lock(&mu_);
    return {series_.begin(), series_.end()};
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  // Constant after construction.
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const size_t max_series_;  // the overflow series may add one more
  const Factory make_;

  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::shared_ptr<M>> series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::coordinator::metrics

#endif  // ABLATE_COORDINATOR_METRICS_FAMILY_H_
