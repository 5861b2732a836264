// golden.cc: see golden.h.
#include "worker/models/golden.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"
#include "worker/models/families/registry.h"
#include "worker/models/safetensors.h"
#include "worker/models/safetensors_torch.h"

namespace ablate::models {
namespace {

absl::Status BadName(const std::string& name) {
  return absl::InvalidArgumentError(absl::StrCat("unrecognised ablation name '", name, "'"));
}

absl::StatusOr<int64_t> LayerIndex(absl::string_view s, const std::string& name) {
  int64_t i = 0;
  if (!absl::ConsumePrefix(&s, "layer") || !absl::SimpleAtoi(s, &i)) return BadName(name);
  return i;
}

// Every tensor of one (case, ablation) pair.
struct Group {
  std::string logits;                         // expected tensor name or empty
  std::map<std::string, std::string> hidden;  // where ("embed", "layer3", "final_norm") -> tensor name
};

double MaxAbs(const torch::Tensor& t) { return t.numel() ? t.abs().max().item<double>() : 0.0; }

// Per-sequence mean next-token NLL, computed in float64.
std::vector<double> MeanNll(const torch::Tensor& logits, const torch::Tensor& ids) {
  std::vector<double> out;
  const int64_t t = ids.size(1);
  if (t < 2) return out;
  torch::Tensor lp = at::log_softmax(logits.to(torch::kFloat64).narrow(1, 0, t - 1), -1);  // [B, T-1, V]
  torch::Tensor target = ids.narrow(1, 1, t - 1).to(lp.device()).unsqueeze(-1);
  torch::Tensor nll = -lp.gather(-1, target).squeeze(-1).mean(1);  // [B]
  for (int64_t b = 0; b < nll.size(0); ++b) out.push_back(nll[b].item<double>());
  return out;
}

std::optional<std::vector<double>> ManifestNll(const nlohmann::json& manifest, const std::string& c,
                                               const std::string& ablation) {
  auto m = manifest.find("mean_next_token_nll");
  if (m == manifest.end() || !m->is_object()) return std::nullopt;
  auto ci = m->find(c);
  if (ci == m->end() || !ci->is_object()) return std::nullopt;
  auto ai = ci->find(ablation);
  if (ai == ci->end() || !ai->is_object()) return std::nullopt;
  auto f = ai->find("f32");
  if (f == ai->end() || !f->is_array()) return std::nullopt;
  std::vector<double> out;
  for (const auto& v : *f) {
    if (!v.is_number()) return std::nullopt;
    out.push_back(v.get<double>());
  }
  return out;
}

}  // namespace

bool GoldenReport::all_pass() const {
  return !checks.empty() && std::all_of(checks.begin(), checks.end(), [](const GoldenCheck& c) { return c.pass; });
}

absl::StatusOr<AblationPlan> PlanFromGoldenName(const ModelConfig& config, const std::string& name) {
  if (name == "baseline") return AblationPlan{};
  std::vector<std::string> p = absl::StrSplit(name, '.');
  AblationPlan plan;
  auto component = [&](const std::string& s) -> absl::StatusOr<v1::Component> {
    auto c = ParseComponent(s);
    if (!c.ok() || *c == v1::LAYER) return BadName(name);
    return *c;
  };
  if (p.size() == 3 && p[0] == "zero" && p[1] == "all") {
    ASSIGN_OR_RETURN(v1::Component c, component(p[2]));
    for (int64_t l : config.LayersWith(c)) plan.push_back({.layer = l, .component = c, .mode = v1::ZERO});
  } else if (p.size() == 3 && p[0] == "zero") {
    ASSIGN_OR_RETURN(int64_t l, LayerIndex(p[1], name));
    ASSIGN_OR_RETURN(v1::Component c, component(p[2]));
    plan.push_back({.layer = l, .component = c, .mode = v1::ZERO});
  } else if (p.size() >= 4 && p[0] == "scale") {
    ASSIGN_OR_RETURN(int64_t l, LayerIndex(p[1], name));
    ASSIGN_OR_RETURN(v1::Component c, component(p[2]));
    double f = 0;
    if (!absl::SimpleAtod(absl::StrJoin(p.begin() + 3, p.end(), "."), &f)) return BadName(name);
    plan.push_back({.layer = l, .component = c, .mode = v1::SCALE, .scale = f});
  } else if (p.size() == 3 && p[0] == "skip" && p[1] == "all") {
    ASSIGN_OR_RETURN(v1::Component c, component(p[2]));
    for (int64_t l : config.LayersWith(c)) plan.push_back({.layer = l, .component = v1::LAYER, .mode = v1::SKIP_LAYER});
  } else if (p.size() == 3 && p[0] == "skip" && p[1] == "layers") {
    for (absl::string_view s : absl::StrSplit(p[2], '_')) {
      int64_t l = 0;
      if (!absl::SimpleAtoi(s, &l)) return BadName(name);
      plan.push_back({.layer = l, .component = v1::LAYER, .mode = v1::SKIP_LAYER});
    }
  } else if (p.size() == 2 && p[0] == "skip") {
    ASSIGN_OR_RETURN(int64_t l, LayerIndex(p[1], name));
    plan.push_back({.layer = l, .component = v1::LAYER, .mode = v1::SKIP_LAYER});
  } else {
    return BadName(name);
  }
  if (plan.empty()) return absl::InvalidArgumentError(absl::StrCat("'", name, "' selects no layer"));
  RETURN_IF_ERROR(ValidatePlan(config, plan));
  return plan;
}

absl::StatusOr<GoldenReport> RunGoldenChecks(const std::string& dir, const LoadOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<CausalLM> lm, LoadCausalLM(dir, options));
  ASSIGN_OR_RETURN(auto expected, Checkpoint::OpenFile(dir + "/expected.safetensors"));
  nlohmann::json manifest = nlohmann::json::object();
  if (auto m = ReadLenientJsonFile(dir + "/manifest.json"); m.ok()) manifest = *m;
  const ModelConfig& config = lm->config();
  const FamilyTraits& traits = TraitsOf(config.family);

  // case -> ablation -> tensors.
  std::map<std::string, std::map<std::string, Group>> cases;
  std::map<std::string, std::string> inputs;
  GoldenReport report;
  report.dir = dir;
  report.family = std::string(FamilyName(config.family));
  for (const auto& [name, ref] : expected->tensors()) {
    const size_t dot = name.find('.');
    if (dot == std::string::npos) continue;
    const std::string c = name.substr(0, dot), rest = name.substr(dot + 1);
    if (rest == "input_ids") {
      inputs[c] = name;
    } else if (absl::StartsWith(rest, "logits.")) {
      cases[c][rest.substr(7)].logits = name;
    } else if (absl::StartsWith(rest, "hidden.")) {
      const std::string tail = rest.substr(7);
      const size_t last = tail.rfind('.');
      if (last == std::string::npos) {
        report.checks.push_back({.name = rest, .case_name = c, .error = "malformed hidden-state name"});
        continue;
      }
      cases[c][tail.substr(0, last)].hidden[tail.substr(last + 1)] = name;
    } else {
      report.checks.push_back({.name = rest, .case_name = c, .error = "unrecognised tensor kind"});
    }
  }
  if (cases.empty()) return absl::InvalidArgumentError(absl::StrCat(dir, "/expected.safetensors: no cases"));

  c10::InferenceMode guard;
  for (auto& [c, ablations] : cases) {
    auto in = inputs.find(c);
    if (in == inputs.end()) {
      report.checks.push_back({.name = "input_ids", .case_name = c, .error = "missing <case>.input_ids"});
      continue;
    }
    torch::Tensor ids = ToTensor(*expected->Find(in->second));
    if (ids.scalar_type() != torch::kInt64 || ids.dim() != 2) {
      report.checks.push_back({.name = "input_ids", .case_name = c, .error = "input_ids must be I64 [B, T]"});
      continue;
    }
    const int64_t t = ids.size(1);
    // Baseline first: its logits scale the hidden-state tolerances.
    std::vector<std::string> order;
    if (ablations.count("baseline")) order.push_back("baseline");
    for (const auto& [a, g] : ablations)
      if (a != "baseline") order.push_back(a);
    double logit_scale = 0;
    for (const std::string& a : order) {
      const Group& g = ablations[a];
      auto fail = [&](const std::string& what, const std::string& err) {
        report.checks.push_back({.name = what, .case_name = c, .error = err});
      };
      auto plan = PlanFromGoldenName(config, a);
      if (!plan.ok()) {
        fail(g.logits.empty() ? "hidden." + a : "logits." + a, std::string(plan.status().message()));
        continue;
      }
      ForwardTrace trace;
      torch::Tensor logits;
      try {
        ForwardOptions fo;
        fo.plan = &*plan;
        fo.trace = &trace;
        logits = lm->Forward(ids, fo).to(torch::kCPU);
      } catch (const std::exception& e) {
        fail("logits." + a, e.what());
        continue;
      }
      if (a == "baseline" && !g.logits.empty()) {
        // Incremental decoding (a prefill of half the tokens, then one token per
        // Step) must reproduce the same reference logits.
        GoldenCheck k{.name = "decode.baseline", .case_name = c};
        try {
          auto state = lm->NewState(ids.size(0));
          const int64_t prefill = std::max<int64_t>(1, t / 2);
          std::vector<torch::Tensor> parts = {lm->Step(ids.narrow(1, 0, prefill), state.get())};
          for (int64_t i = prefill; i < t; ++i) parts.push_back(lm->Step(ids.narrow(1, i, 1), state.get()));
          torch::Tensor dec = at::cat(parts, 1).to(torch::kCPU);
          torch::Tensor ref = ToTensor(*expected->Find(g.logits)).to(torch::kFloat32);
          if (ref.sizes() != dec.sizes()) {
            k.error = "shape mismatch";
          } else {
            k.max_abs_diff = MaxAbs(dec - ref);
            k.tolerance = std::max(traits.logits_abs_tolerance, traits.logits_rel_tolerance * MaxAbs(ref));
            k.pass = k.max_abs_diff <= k.tolerance;
          }
        } catch (const std::exception& e) {
          k.error = e.what();
        }
        report.checks.push_back(k);
      }
      if (!g.logits.empty()) {
        GoldenCheck k{.name = "logits." + a, .case_name = c};
        torch::Tensor ref = ToTensor(*expected->Find(g.logits)).to(torch::kFloat32);
        if (ref.sizes() != logits.sizes()) {
          k.error = "shape mismatch";
        } else {
          const double ref_max = MaxAbs(ref);
          if (a == "baseline") logit_scale = ref_max;
          k.max_abs_diff = MaxAbs(logits - ref);
          k.tolerance = std::max(traits.logits_abs_tolerance, traits.logits_rel_tolerance * ref_max);
          k.pass = k.max_abs_diff <= k.tolerance;
          if (auto want = ManifestNll(manifest, c, a)) {
            std::vector<double> got = MeanNll(logits, ids);
            k.nll_tolerance = t > 64 ? traits.nll_tolerance_long : traits.nll_tolerance_short;
            if (got.size() != want->size()) {
              k.error = "manifest NLL has a different number of sequences";
              k.pass = false;
            } else {
              double d = 0;
              for (size_t i = 0; i < got.size(); ++i) d = std::max(d, std::abs(got[i] - (*want)[i]));
              k.nll_diff = d;
              k.pass = k.pass && d <= k.nll_tolerance;
            }
          }
        }
        report.checks.push_back(k);
      }
      for (const auto& [where, tensor] : g.hidden) {
        GoldenCheck k{.name = absl::StrCat("hidden.", a, ".", where), .case_name = c};
        torch::Tensor got;
        int64_t layer = -1;
        if (where == "embed" && !trace.layer_inputs.empty()) {
          got = trace.layer_inputs[0];
        } else if (where == "final_norm") {
          got = trace.final_hidden;
        } else if (absl::StartsWith(where, "layer") && absl::SimpleAtoi(where.substr(5), &layer) && layer >= 0 &&
                   layer < static_cast<int64_t>(trace.layer_outputs.size())) {
          got = trace.layer_outputs[layer];
        } else {
          k.error = "unrecognised hidden-state position '" + where + "'";
          report.checks.push_back(k);
          continue;
        }
        got = got.to(torch::kCPU, torch::kFloat32);
        torch::Tensor ref = ToTensor(*expected->Find(tensor)).to(torch::kFloat32);
        if (ref.sizes() != got.sizes()) {
          k.error = "shape mismatch";
        } else {
          // The logit bounds, scaled by how large the hidden state is relative to the logits.
          const double ref_max = MaxAbs(ref);
          const double base = std::max(traits.logits_abs_tolerance, traits.logits_rel_tolerance * logit_scale);
          k.tolerance = base * std::max(1.0, logit_scale > 0 ? ref_max / logit_scale : ref_max);
          k.max_abs_diff = MaxAbs(got - ref);
          k.pass = k.max_abs_diff <= k.tolerance;
        }
        report.checks.push_back(k);
      }
    }
  }
  return report;
}

std::string FormatCheck(const GoldenCheck& k) {
  std::string line = absl::StrFormat("%-5s %-40s", k.case_name, k.name);
  if (!k.error.empty()) return absl::StrCat(line, " ERROR: ", k.error, "  FAIL");
  absl::StrAppendFormat(&line, " max|d|=%.2e tol=%.1e", k.max_abs_diff, k.tolerance);
  if (k.nll_diff) absl::StrAppendFormat(&line, " nll|d|=%.2e (tol %.0e)", *k.nll_diff, k.nll_tolerance);
  return absl::StrCat(line, k.pass ? "  PASS" : "  FAIL");
}

}  // namespace ablate::models
