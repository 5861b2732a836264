// conditions.cc: per-kind expansion of one ablation entry on one model (see conditions.h).
#include "spec/conditions.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/families.h"
#include "common/status_macros.h"
#include "common/vocabulary.h"
#include "spec/rng.h"
#include "spec/validate.h"

namespace ablate::spec {
namespace {

using v1::Component;

struct ModeRule {
  v1::AblationMode mode = v1::MODE_UNSPECIFIED;
  std::string source;  // the spec field that chose the mode; "" = built-in family default
};

// True when skipping the whole layer removes exactly `c`: c is the layer's only token mixer.
// (Skipping a Qwen layer also skips its MLP; that is the study's definition of removing
// a token mixer there, and the documented meaning of skip_layer.)
bool SkipIsExact(const ModelConfig& cfg, int layer, Component c) {
  if (c == v1::MLP || c == v1::LAYER) return false;
  int mixers = 0;
  bool has = false;
  for (Component x : cfg.ComponentsOf(layer)) {
    if (x == v1::MLP) continue;
    ++mixers;
    has = has || x == c;
  }
  return has && mixers == 1;
}

std::string ComponentList(const ModelConfig& cfg, int layer) {
  std::vector<std::string> names;
  for (Component x : cfg.ComponentsOf(layer)) names.emplace_back(ComponentName(x));
  return absl::StrJoin(names, ", ");
}

class AblationExpander {
 public:
  AblationExpander(const v1::SweepSpec& spec, int ai, int mi, const ModelConfig& cfg, std::vector<v1::Condition>* out,
                   const std::function<absl::Status()>* check = nullptr)
      : check_(check),
        spec_(spec),
        a_(spec.ablations(ai)),
        model_(spec.models(mi)),
        mi_(mi),
        cfg_(cfg),
        out_(out),
        path_(absl::StrCat("ablations[", ai, "]")),
        name_(a_.name().empty() ? AblationKindName(a_) : a_.name()) {}

  const std::function<absl::Status()>* const check_;

  absl::StatusOr<int64_t> Run() {
    if (a_.models_size() > 0 && std::find(a_.models().begin(), a_.models().end(), model_.name()) == a_.models().end()) {
      return 0;
    }
    switch (a_.kind_case()) {
      case v1::AblationSpec::kBaseline:
        RETURN_IF_ERROR(Baseline());
        break;
      case v1::AblationSpec::kGroup:
        RETURN_IF_ERROR(Group());
        break;
      case v1::AblationSpec::kLayerSweep:
        RETURN_IF_ERROR(LayerSweep());
        break;
      case v1::AblationSpec::kPositional:
        RETURN_IF_ERROR(Positional());
        break;
      case v1::AblationSpec::kProgressive:
        RETURN_IF_ERROR(Progressive());
        break;
      case v1::AblationSpec::kRandom:
        RETURN_IF_ERROR(Random());
        break;
      case v1::AblationSpec::kExplicit:
        RETURN_IF_ERROR(Explicit());
        break;
      default:
        return Error(path_, "missing ablation kind");
    }
    return count_;
  }

  ModeRule Rule() const {
    if (a_.mode() != v1::MODE_UNSPECIFIED) return {a_.mode(), path_ + ".mode"};
    if (model_.default_mode() != v1::MODE_UNSPECIFIED)
      return {model_.default_mode(), absl::StrCat("models[", mi_, "].default_mode")};
    const absl::string_view family = FamilyName(cfg_.family);
    for (int k = 0; k < spec_.mode_defaults_size(); ++k) {
      if (spec_.mode_defaults(k).family() == family)
        return {spec_.mode_defaults(k).mode(), absl::StrCat("mode_defaults[", k, "].mode")};
    }
    return {FamilyInfo(cfg_.family).default_mode, ""};
  }

  // `rule`/`scale`/`scale_path` default to the ablation's.
  absl::StatusOr<v1::Target> Target(int layer, Component c, const ModeRule& rule, double scale,
                                    const std::string& scale_path) const {
    v1::Target t;
    t.set_layer(layer);
    t.set_component(c);
    if (c == v1::LAYER) {
      // Whole layers are always skipped; only an ablation's own explicit mode can contradict that.
      if (rule.mode != v1::SKIP_LAYER && absl::StartsWith(rule.source, path_ + "."))
        return Error(rule.source,
                     absl::StrCat("component layer removes whole decoder layers and needs skip_layer, not ",
                                  ModeName(rule.mode)));
      t.set_mode(v1::SKIP_LAYER);
      return t;
    }
    if (rule.mode == v1::SKIP_LAYER && !SkipIsExact(cfg_, layer, c)) {
      if (!rule.source.empty()) {
        return Error(rule.source, absl::StrCat("skip_layer would remove all of layer ", layer, " of model '",
                                               model_.name(), "' (", ComponentList(cfg_, layer), "), not only its ",
                                               ComponentName(c), "; use mode zero to remove just the ",
                                               ComponentName(c), ", or component layer to skip whole layers"));
      }
      t.set_mode(v1::ZERO);  // built-in default: the exact removal of this branch
      return t;
    }
    t.set_mode(rule.mode);
    if (rule.mode == v1::SCALE) {
      if (scale == 0)
        return Error(scale_path, absl::StrCat("mode scale (from ", rule.source, ") needs a non-zero scale"));
      t.set_scale(scale);
    }
    return t;
  }
  absl::StatusOr<v1::Target> Target(int layer, Component c) const {
    return Target(layer, c, rule_, a_.scale(), path_ + ".scale");
  }

 private:
  absl::Status Error(const std::string& path, const std::string& msg) const {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", msg));
  }

  std::vector<int> Layers(Component c) const {
    std::vector<int> out;
    for (int64_t l : cfg_.LayersWith(c)) out.push_back(static_cast<int>(l));
    return out;
  }

  // Layers having `c`; empty with OK means "skip" (skip_missing), error otherwise.
  absl::StatusOr<std::vector<int>> RequireLayers(Component c, const std::string& field) const {
    std::vector<int> layers = Layers(c);
    if (layers.empty() && !a_.skip_missing()) {
      return Error(field, absl::StrCat("model '", model_.name(), "' has no ", ComponentName(c),
                                       " layers (set skip_missing: true or restrict the ablation's models)"));
    }
    return layers;
  }

  v1::Condition* Add(v1::AblationKind kind, std::string label) {
    ++count_;
    if (out_ == nullptr) return nullptr;
    out_->emplace_back();
    v1::Condition* c = &out_->back();
    c->set_kind(kind);
    c->set_label(std::move(label));
    c->set_ablation_name(name_);
    c->set_layer(-1);
    return c;
  }

  absl::Status AddTargets(v1::Condition* cond, Component c, const std::vector<int>& layers) {
    cond->set_component(c);
    cond->set_count(static_cast<int>(layers.size()));
    cond->mutable_targets()->Reserve(static_cast<int>(layers.size()));
    for (int l : layers) {
      ASSIGN_OR_RETURN(*cond->add_targets(), Target(l, c));
    }
    return absl::OkStatus();
  }

  absl::Status Baseline() {
    v1::Condition* c = Add(v1::BASELINE, name_);
    if (c != nullptr) c->set_count(0);
    return absl::OkStatus();
  }

  absl::Status Group() {
    const auto& g = a_.group();
    for (int j = 0; j < g.components_size(); ++j) {
      const Component c = g.components(j);
      ASSIGN_OR_RETURN(std::vector<int> layers, RequireLayers(c, absl::StrCat(path_, ".group.components[", j, "]")));
      if (layers.empty()) continue;
      v1::Condition* cond = Add(v1::GROUP, absl::StrCat(name_, "/", ComponentName(c)));
      targets_ += static_cast<int64_t>(layers.size());
      if (cond != nullptr) RETURN_IF_ERROR(AddTargets(cond, c, layers));
    }
    return absl::OkStatus();
  }

  absl::Status LayerSweep() {
    const Component c = a_.layer_sweep().component();
    ASSIGN_OR_RETURN(std::vector<int> layers, RequireLayers(c, path_ + ".layer_sweep.component"));
    if (out_ == nullptr) {
      count_ += static_cast<int64_t>(layers.size());
      targets_ += static_cast<int64_t>(layers.size());
      return absl::OkStatus();
    }
    for (int l : layers) {
      v1::Condition* cond = Add(v1::LAYER_SWEEP, absl::StrCat(name_, "/", ComponentName(c), "/L", l));
      RETURN_IF_ERROR(AddTargets(cond, c, {l}));
      cond->set_layer(l);
    }
    return absl::OkStatus();
  }

  absl::Status Positional() {
    const auto& p = a_.positional();
    const Component c = p.component();
    const std::string q = path_ + ".positional";
    ASSIGN_OR_RETURN(std::vector<int> layers, RequireLayers(c, q + ".component"));
    if (layers.empty()) return absl::OkStatus();
    const int n = static_cast<int>(layers.size());
    std::vector<std::pair<std::string, std::vector<int>>> parts;
    if (p.ranges_size() == 0) {
      if (n < 3)
        return Error(q + ".component", absl::StrCat("model '", model_.name(), "' has only ", n, " ", ComponentName(c),
                                                    " layers; thirds need at least 3"));
      const char* names[] = {"early", "middle", "late"};
      const auto thirds = Thirds(n);
      for (int k = 0; k < 3; ++k)
        parts.emplace_back(names[k],
                           std::vector<int>(layers.begin() + thirds[k].first, layers.begin() + thirds[k].second));
    } else {
      for (int j = 0; j < p.ranges_size(); ++j) {
        const auto& r = p.ranges(j);
        const std::string rp = absl::StrCat(q, ".ranges[", j, "]");
        std::vector<int> sel;
        if (p.absolute()) {
          if (r.end() > cfg_.num_layers)
            return Error(rp + ".end", absl::StrCat(r.end(), " is past the last layer of model '", model_.name(), "' (",
                                                   cfg_.num_layers, " layers)"));
          for (int l : layers)
            if (l >= r.start() && l < r.end()) sel.push_back(l);
          if (sel.empty())
            return Error(rp, absl::StrCat("no ", ComponentName(c), " layers of model '", model_.name(), "' in [",
                                          r.start(), ", ", r.end(), ")"));
        } else {
          if (r.end() > n)
            return Error(rp + ".end",
                         absl::StrCat(r.end(), " is past the ", n, " ", ComponentName(c), " layers of model '",
                                      model_.name(), "' (set absolute: true for layer indices)"));
          sel.assign(layers.begin() + r.start(), layers.begin() + r.end());
        }
        parts.emplace_back(r.name(), std::move(sel));
      }
    }
    for (auto& [pos, sel] : parts) {
      v1::Condition* cond = Add(v1::POSITIONAL, absl::StrCat(name_, "/", ComponentName(c), "/", pos));
      targets_ += static_cast<int64_t>(sel.size());
      if (cond == nullptr) continue;
      cond->set_position(pos);
      RETURN_IF_ERROR(AddTargets(cond, c, sel));
    }
    return absl::OkStatus();
  }

  absl::Status Progressive() {
    const auto& p = a_.progressive();
    const Component c = p.component();
    const std::string q = path_ + ".progressive";
    ASSIGN_OR_RETURN(std::vector<int> layers, RequireLayers(c, q + ".component"));
    if (layers.empty()) return absl::OkStatus();
    const int n = static_cast<int>(layers.size());
    int max_count = 0;
    for (int j = 0; j < p.counts_size(); ++j) {
      if (p.counts(j) > n)
        return Error(absl::StrCat(q, ".counts[", j, "]"),
                     absl::StrCat(p.counts(j), " is more than the ", n, " ", ComponentName(c), " layers of model '",
                                  model_.name(), "'"));
      max_count = std::max(max_count, p.counts(j));
    }
    std::vector<v1::ProgressiveOrder> orders;
    for (int o : p.orders()) orders.push_back(static_cast<v1::ProgressiveOrder>(o));
    if (orders.empty()) orders = {v1::FIRST, v1::LAST};
    const int trials = std::max(1, p.trials());
    if (out_ == nullptr) {
      int64_t sum_counts = 0;
      for (int k : p.counts()) sum_counts += k;
      for (auto o : orders) {
        const int64_t reps = o == v1::RANDOM_ORDER ? trials : 1;
        count_ += static_cast<int64_t>(p.counts_size()) * reps;
        targets_ += sum_counts * reps;
      }
      return absl::OkStatus();
    }
    const std::string comp(ComponentName(c));
    for (auto o : orders) {
      if (o != v1::RANDOM_ORDER) {
        const bool first = o == v1::FIRST;
        for (int k : p.counts()) {
          std::vector<int> sel = first ? std::vector<int>(layers.begin(), layers.begin() + k)
                                       : std::vector<int>(layers.end() - k, layers.end());
          v1::Condition* cond = Add(v1::PROGRESSIVE, absl::StrCat(name_, first ? "/first/" : "/last/", comp, "/n=", k));
          RETURN_IF_ERROR(AddTargets(cond, c, sel));
        }
        continue;
      }
      // One random order per trial; every count takes a prefix of it (nested sets).
      std::vector<std::vector<int>> perms;
      for (int t = 0; t < trials; ++t) {
        RETURN_IF_ERROR(Check(t));
        SplitMix64 rng(StreamSeed(kStreamProgressive, p.seed(), model_.name(), static_cast<uint64_t>(t)));
        std::vector<int> perm = layers;
        PartialShuffle(&perm, static_cast<uint64_t>(max_count), &rng);
        perms.push_back(std::move(perm));
      }
      for (int k : p.counts()) {
        for (int t = 0; t < trials; ++t) {
          std::vector<int> sel(perms[t].begin(), perms[t].begin() + k);
          std::sort(sel.begin(), sel.end());
          v1::Condition* cond = Add(v1::PROGRESSIVE, absl::StrCat(name_, "/random/", comp, "/n=", k, "/t", t));
          cond->set_trial(t);
          RETURN_IF_ERROR(AddTargets(cond, c, sel));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status Random() {
    const auto& r = a_.random();
    const std::string q = path_ + ".random";
    const Component match = r.match();
    int count = r.count();
    std::vector<int> matched;
    if (match != v1::COMPONENT_UNSPECIFIED) {
      matched = Layers(match);
      if (matched.empty() && (count == 0 || r.exclude_matched())) {
        if (a_.skip_missing()) return absl::OkStatus();
        return Error(q + ".match", absl::StrCat("model '", model_.name(), "' has no ", ComponentName(match),
                                                " layers (set skip_missing: true or restrict the ablation's models)"));
      }
      if (count == 0) count = static_cast<int>(matched.size());
    }
    // The pool, in ascending (layer, component) order.
    std::vector<std::pair<int, Component>> pool;
    std::string pool_desc;
    if (r.pool() == v1::COMPONENT_PAIRS) {
      std::set<Component> comps;
      for (int j = 0; j < r.pool_components_size(); ++j) comps.insert(r.pool_components(j));
      if (comps.empty()) comps = {v1::ATTENTION, v1::LINEAR_ATTENTION, v1::SSM};
      if (r.exclude_matched()) comps.erase(match);
      for (int l = 0; l < cfg_.num_layers; ++l) {
        for (Component x : comps)
          if (cfg_.HasComponent(l, x)) pool.emplace_back(l, x);
      }
      pool_desc = absl::StrCat(pool.size(), " (component, layer) pairs");
    } else {
      if (a_.mode() != v1::MODE_UNSPECIFIED && a_.mode() != v1::SKIP_LAYER)
        return Error(path_ + ".mode", absl::StrCat("pool layers removes whole decoder layers (skip_layer); use pool: "
                                                   "component_pairs to remove branches with mode ",
                                                   ModeName(a_.mode())));
      for (int l = 0; l < cfg_.num_layers; ++l) {
        if (r.exclude_matched() && cfg_.HasComponent(l, match)) continue;
        pool.emplace_back(l, v1::LAYER);
      }
      pool_desc = absl::StrCat(pool.size(), " layers");
    }
    if (r.exclude_matched()) absl::StrAppend(&pool_desc, " without ", ComponentName(match));
    if (count > static_cast<int>(pool.size())) {
      return Error(r.count() > 0 ? q + ".count" : q + ".match",
                   absl::StrCat("cannot draw ", count, " targets from the pool of ", pool_desc, " of model '",
                                model_.name(), "'"));
    }
    const int trials = std::max(1, r.trials());
    if (out_ == nullptr) {
      count_ += trials;
      targets_ += static_cast<int64_t>(trials) * count;
      return absl::OkStatus();
    }
    std::string stem = name_;
    if (match != v1::COMPONENT_UNSPECIFIED) absl::StrAppend(&stem, "/match=", ComponentName(match));
    if (r.count() > 0) absl::StrAppend(&stem, "/n=", r.count());
    // Trials draw distinct sets while the pool has enough of them: a draw
    // equal to an earlier trial's is redrawn from the next stream
    // (attempt a uses stream trial + a * 2^32; attempt 0 is the plain one),
    // up to kMaxRedraws times, after which the repeat is kept.
    constexpr int kMaxRedraws = 64;
    std::set<std::vector<std::pair<int, Component>>> drawn;
    for (int t = 0; t < trials; ++t) {
      RETURN_IF_ERROR(Check(t));
      std::vector<std::pair<int, Component>> draw;
      for (int attempt = 0; attempt <= kMaxRedraws; ++attempt) {
        const uint64_t stream = static_cast<uint64_t>(t) + (static_cast<uint64_t>(attempt) << 32);
        SplitMix64 rng(StreamSeed(kStreamRandom, r.seed(), model_.name(), stream));
        draw = pool;
        PartialShuffle(&draw, static_cast<uint64_t>(count), &rng);
        draw.resize(count);
        std::sort(draw.begin(), draw.end());
        if (!drawn.count(draw)) break;
      }
      drawn.insert(draw);
      v1::Condition* cond = Add(v1::RANDOM, absl::StrCat(stem, "/t", t));
      cond->set_component(match);
      cond->set_trial(t);
      cond->set_count(count);
      cond->mutable_targets()->Reserve(count);
      for (const auto& [l, x] : draw) {
        ASSIGN_OR_RETURN(*cond->add_targets(), Target(l, x));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Explicit() {
    const auto& e = a_.explicit_();
    std::vector<v1::Target> targets;
    for (int j = 0; j < e.targets_size(); ++j) {
      const auto& t = e.targets(j);
      const std::string tp = absl::StrCat(path_, ".explicit.targets[", j, "]");
      if (t.layer() >= cfg_.num_layers)
        return Error(tp + ".layer", absl::StrCat("layer ", t.layer(), " is out of range for model '", model_.name(),
                                                 "' (", cfg_.num_layers, " layers: 0..", cfg_.num_layers - 1, ")"));
      if (!cfg_.HasComponent(t.layer(), t.component())) {
        if (a_.skip_missing()) return absl::OkStatus();
        return Error(tp + ".component",
                     absl::StrCat("layer ", t.layer(), " of model '", model_.name(), "' has no ",
                                  ComponentName(t.component()), " (it has ", ComponentList(cfg_, t.layer()), ")"));
      }
      ModeRule rule = rule_;
      if (t.mode() != v1::MODE_UNSPECIFIED) rule = {t.mode(), tp + ".mode"};
      const double scale = t.scale() != 0 ? t.scale() : a_.scale();
      ASSIGN_OR_RETURN(v1::Target resolved, Target(t.layer(), t.component(), rule, scale,
                                                   t.scale() != 0 ? tp + ".scale" : path_ + ".scale"));
      targets.push_back(std::move(resolved));
    }
    v1::Condition* cond = Add(v1::EXPLICIT, name_);
    targets_ += static_cast<int64_t>(targets.size());
    if (cond == nullptr) return absl::OkStatus();
    std::sort(targets.begin(), targets.end(), [](const v1::Target& x, const v1::Target& y) {
      return std::make_pair(x.layer(), static_cast<int>(x.component())) <
             std::make_pair(y.layer(), static_cast<int>(y.component()));
    });
    Component only = targets.front().component();
    for (const auto& t : targets)
      if (t.component() != only) only = v1::COMPONENT_UNSPECIFIED;
    cond->set_component(only);
    cond->set_count(static_cast<int>(targets.size()));
    for (auto& t : targets) *cond->add_targets() = std::move(t);
    return absl::OkStatus();
  }

  const v1::SweepSpec& spec_;
  const v1::AblationSpec& a_;
  const v1::ModelSpec& model_;
  const int mi_;
  const ModelConfig& cfg_;
  std::vector<v1::Condition>* const out_;  // null: count only
  const std::string path_;
  const std::string name_;
  const ModeRule rule_ = Rule();
  int64_t count_ = 0;
  int64_t targets_ = 0;  // in count mode: the targets the conditions would hold

 public:
  int64_t targets() const { return targets_; }

 private:
  // Every kCheckEvery trials: the caller's cancellation / deadline check.
  absl::Status Check(int trial) const {
    constexpr int kCheckEvery = 256;
    if (check_ == nullptr || !*check_ || trial % kCheckEvery != 0) return absl::OkStatus();
    return (*check_)();
  }
};

}  // namespace

std::vector<std::pair<int, int>> Thirds(int n) {
  std::vector<std::pair<int, int>> out;
  int start = 0;
  for (int k = 0; k < 3; ++k) {
    const int size = n / 3 + (k < n % 3 ? 1 : 0);
    out.emplace_back(start, start + size);
    start += size;
  }
  return out;
}

absl::StatusOr<v1::Target> ResolveTarget(const v1::SweepSpec& spec, int ablation_index, int model_index,
                                         const ModelConfig& config, int layer, v1::Component component) {
  AblationExpander e(spec, ablation_index, model_index, config, nullptr);
  return e.Target(layer, component);
}

absl::StatusOr<int64_t> CountConditions(const v1::SweepSpec& spec, int ablation_index, int model_index,
                                        const ModelConfig& config, int64_t* targets) {
  AblationExpander e(spec, ablation_index, model_index, config, nullptr);
  absl::StatusOr<int64_t> n = e.Run();
  if (targets != nullptr) *targets = e.targets();
  return n;
}

absl::Status AppendConditions(const v1::SweepSpec& spec, int ablation_index, int model_index, const ModelConfig& config,
                              std::vector<v1::Condition>* out, const std::function<absl::Status()>& check) {
  AblationExpander e(spec, ablation_index, model_index, config, out, &check);
  return e.Run().status();
}

}  // namespace ablate::spec
