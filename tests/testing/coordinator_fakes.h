// coordinator_fakes.h: test doubles for coordinator tests: a hand-driven
// clock and a tiny expander that needs no checkpoints or config.json.
//
// FakeExpand turns each (model, evaluation, seed) of a spec into one baseline
// job plus `layers_per_model` layer-sweep jobs over ATTENTION (default 3), in
// that order, with JobSpec.index = position. It applies defaults the way the
// real expander's caller does (seeds [0]).
//
//   FakeClock clock(1'000'000);
//   clock.Advance(absl::Seconds(5));
//   auto expansion = FakeExpand(&spec);
#ifndef ABLATE_TESTS_TESTING_COORDINATOR_FAKES_H_
#define ABLATE_TESTS_TESTING_COORDINATOR_FAKES_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "coordinator/clock.h"
#include "spec/expander.h"

namespace ablate::testing {

class FakeClock : public coordinator::Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void Advance(absl::Duration d) { now_ms_ += absl::ToInt64Milliseconds(d); }

 private:
  std::atomic<int64_t> now_ms_;
};

inline absl::StatusOr<spec::Expansion> FakeExpand(v1::SweepSpec* spec, int layers_per_model = 3) {
  if (spec->models().empty()) return absl::InvalidArgumentError("models: empty");
  if (spec->evaluations().empty()) return absl::InvalidArgumentError("evaluations: empty");
  if (spec->seeds().empty()) spec->add_seeds(0);
  spec::Expansion e;
  for (const v1::ModelSpec& m : spec->models()) {
    int64_t n = 0;
    for (int c = 0; c <= layers_per_model; ++c) {
      for (const v1::EvaluationSpec& ev : spec->evaluations()) {
        for (uint64_t seed : spec->seeds()) {
          v1::JobSpec js;
          *js.mutable_model() = m;
          js.set_model_family("qwen2");
          v1::Condition* cond = js.mutable_condition();
          if (c == 0) {
            cond->set_kind(v1::BASELINE);
            cond->set_label("baseline");
            cond->set_layer(-1);
          } else {
            cond->set_kind(v1::LAYER_SWEEP);
            cond->set_label(absl::StrCat("layer_sweep/attention/L", c - 1));
            cond->set_component(v1::ATTENTION);
            cond->set_layer(c - 1);
            v1::Target* t = cond->add_targets();
            t->set_layer(c - 1);
            t->set_component(v1::ATTENTION);
            t->set_mode(v1::ZERO);
          }
          *js.mutable_evaluation() = ev;
          js.set_seed(seed);
          js.set_index(static_cast<int32_t>(e.jobs.size()));
          e.jobs.push_back(std::move(js));
          ++n;
        }
      }
    }
    v1::ExpansionCount count;
    count.set_model(m.name());
    count.set_kind(v1::LAYER_SWEEP);
    count.set_conditions(layers_per_model + 1);
    count.set_jobs(n);
    e.counts.push_back(count);
  }
  return e;
}

// FakeExpand streamed: the shape of coordinator::ExpandFn, for
//   Scheduler::Open(o, [](auto* spec, const auto&, const auto&, const auto& sink) {
//     return FakeStream(spec, sink); });
inline absl::StatusOr<std::vector<v1::ExpansionCount>> FakeStream(
    v1::SweepSpec* spec, const std::function<absl::Status(const v1::JobSpec&)>& sink, int layers_per_model = 3) {
  absl::StatusOr<spec::Expansion> e = FakeExpand(spec, layers_per_model);
  if (!e.ok()) return e.status();
  for (const v1::JobSpec& j : e->jobs) {
    absl::Status s = sink(j);
    if (!s.ok()) return s;
  }
  return e->counts;
}

// A spec with `models` models ("m0", "m1", ... at /ckpt/mN) and `evals`
// perplexity evaluations ("e0", ...).
inline v1::SweepSpec FakeSpec(const std::string& name, int models, int evals) {
  v1::SweepSpec spec;
  spec.set_name(name);
  for (int i = 0; i < models; ++i) {
    v1::ModelSpec* m = spec.add_models();
    m->set_name(absl::StrCat("m", i));
    m->set_path(absl::StrCat("/ckpt/m", i));
  }
  for (int i = 0; i < evals; ++i) {
    v1::EvaluationSpec* e = spec.add_evaluations();
    e->set_name(absl::StrCat("e", i));
    e->mutable_perplexity()->set_dataset("/data/wiki.test.raw");
  }
  return spec;
}

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_TESTING_COORDINATOR_FAKES_H_
