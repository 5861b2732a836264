// spec_parser.cc: YAML/JSON text -> v1::SweepSpec, path resolution, defaults
// (see spec_parser.h). The field mapping itself is generic (yaml_proto.h); this
// file adds the spec's enum spellings and shorthands and the layout-free checks.
#include "spec/spec_parser.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/model_config.h"
#include "common/status_macros.h"
#include "common/vocabulary.h"
#include "spec/validate.h"
#include "spec/yaml_proto.h"

namespace ablate::spec {
namespace {

YamlProtoOptions SpecYamlOptions() {
  YamlProtoOptions o;
  o.enum_parsers["ablate.v1.Component"] = [](absl::string_view text) -> absl::StatusOr<int> {
    ASSIGN_OR_RETURN(v1::Component c, ParseComponent(text));
    return static_cast<int>(c);
  };
  o.enum_aliases["ablate.v1.ProgressiveOrder"] = {{"random", "RANDOM_ORDER"}};
  o.enum_aliases["ablate.v1.RandomPool"] = {{"pairs", "COMPONENT_PAIRS"}};
  o.enum_parsers["ablate.v1.AblationMode"] = [](absl::string_view text) -> absl::StatusOr<int> {
    ASSIGN_OR_RETURN(v1::AblationMode m, ParseMode(text));
    return static_cast<int>(m);
  };
  o.enum_aliases["ablate.v1.DType"] = {{"fp32", "FLOAT32"}, {"f32", "FLOAT32"}, {"bf16", "BFLOAT16"},
                                       {"fp16", "FLOAT16"}, {"f16", "FLOAT16"}, {"half", "FLOAT16"}};
  o.enum_aliases["ablate.v1.MultipleChoiceTask"] = {{"truthfulqa", "TRUTHFULQA_MC1"}};
  for (const char* m : {"GroupAblation", "LayerSweepAblation", "PositionalAblation", "ProgressiveAblation",
                        "RandomAblation", "ExplicitAblation"}) {
    o.primary_shorthand.insert(absl::StrCat("ablate.v1.", m));
  }
  return o;
}

// Relative -> absolute against `dir`; empty and absolute paths stay as they are.
void Resolve(const std::filesystem::path& dir, std::string* p) {
  if (p->empty()) return;
  std::filesystem::path path(*p);
  if (path.is_absolute()) return;
  *p = (dir / path).lexically_normal().string();
}

// The data file paths of an evaluation (dataset, path, fewshot_path): the
// ones LoadSweepSpec resolves and checks for `optional` evaluations.
std::vector<std::string*> DataPaths(v1::EvaluationSpec* e) {
  switch (e->kind_case()) {
    case v1::EvaluationSpec::kPerplexity:
      return {e->mutable_perplexity()->mutable_dataset()};
    case v1::EvaluationSpec::kMultipleChoice:
      return {e->mutable_multiple_choice()->mutable_path(), e->mutable_multiple_choice()->mutable_fewshot_path()};
    case v1::EvaluationSpec::kGeneration:
      return {e->mutable_generation()->mutable_path(), e->mutable_generation()->mutable_fewshot_path()};
    case v1::EvaluationSpec::kDiagnostics:
      return {e->mutable_diagnostics()->mutable_dataset()};
    default:
      return {};
  }
}

// Removes optional evaluations whose data is absent here.
void DropAbsentOptionalEvaluations(v1::SweepSpec* spec, std::vector<std::string>* notes) {
  google::protobuf::RepeatedPtrField<v1::EvaluationSpec> kept;
  for (auto& e : *spec->mutable_evaluations()) {
    std::string missing;
    if (e.optional()) {
      for (const std::string* f : DataPaths(&e)) {
        std::error_code ec;
        if (!f->empty() && !std::filesystem::exists(*f, ec)) {
          missing = *f;
          break;
        }
      }
    }
    if (missing.empty()) {
      *kept.Add() = std::move(e);
    } else if (notes != nullptr) {
      notes->push_back(
          absl::StrCat("evaluation '", e.name(), "' left out (optional; ", missing, " is not on this machine)"));
    }
  }
  spec->mutable_evaluations()->Swap(&kept);
}

}  // namespace

absl::StatusOr<v1::SweepSpec> ParseSweepSpec(absl::string_view text, absl::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
  }
  if (!root || root.IsNull()) return absl::InvalidArgumentError(absl::StrCat(source, ": the spec is empty"));
  v1::SweepSpec spec;
  SourceLines lines;
  try {
    RETURN_IF_ERROR(YamlToProto(root, source, SpecYamlOptions(), &spec, &lines));
  } catch (const YAML::Exception& e) {  // defensive: yaml-cpp throws on odd nodes
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
  if (auto e = FindSpecError(spec)) return LocatedError(source, lines.LineOf(e->path), e->path, e->message);
  return spec;
}

absl::StatusOr<v1::SweepSpec> LoadSweepSpec(const std::string& path, std::vector<std::string>* notes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return absl::NotFoundError(absl::StrCat("spec file '", path, "' not found"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read spec file '", path, "'"));
  std::stringstream buf;
  buf << in.rdbuf();
  ASSIGN_OR_RETURN(v1::SweepSpec spec, ParseSweepSpec(buf.str(), path));
  const std::filesystem::path dir = std::filesystem::absolute(std::filesystem::path(path), ec).parent_path();
  RETURN_IF_ERROR(ResolveSpecPaths(&spec, dir.string()));
  DropAbsentOptionalEvaluations(&spec, notes);
  return spec;
}

absl::Status ResolveSpecPaths(v1::SweepSpec* spec, const std::string& base_dir) {
  std::vector<std::string*> paths;
  for (auto& m : *spec->mutable_models()) {
    paths.push_back(m.mutable_path());
    paths.push_back(m.mutable_tokenizer());
  }
  for (auto& e : *spec->mutable_evaluations()) {
    for (std::string* p : DataPaths(&e)) paths.push_back(p);
  }
  const std::filesystem::path dir(base_dir);
  for (std::string* p : paths) {
    if (p->empty() || std::filesystem::path(*p).is_absolute()) continue;
    if (!dir.is_absolute()) {
      return absl::InvalidArgumentError(
          absl::StrCat("spec: path '", *p,
                       "' is relative; give the absolute directory to resolve it against "
                       "(base_dir",
                       base_dir.empty() ? "" : absl::StrCat(" '", base_dir, "' is not absolute"), ")"));
    }
    Resolve(dir, p);
  }
  return absl::OkStatus();
}

void ApplyDefaults(v1::SweepSpec* spec) {
  if (spec->seeds_size() == 0) spec->add_seeds(0);
  auto* x = spec->mutable_execution();
  if (x->max_attempts() == 0) x->set_max_attempts(3);
  if (x->lease_ttl_seconds() == 0) x->set_lease_ttl_seconds(120);
  if (x->max_jobs() == 0) x->set_max_jobs(1000000);
  for (auto& m : *spec->mutable_models()) {
    if (m.dtype() == v1::DTYPE_UNSPECIFIED) m.set_dtype(v1::FLOAT32);
    if (m.tokenizer().empty() && !m.path().empty()) m.set_tokenizer(m.path() + "/tokenizer.json");
  }
  for (auto& e : *spec->mutable_evaluations()) {
    switch (e.kind_case()) {
      case v1::EvaluationSpec::kPerplexity: {
        auto* p = e.mutable_perplexity();
        if (p->protocol() == v1::PROTOCOL_UNSPECIFIED) p->set_protocol(v1::ROLLING);
        if (p->max_length() == 0) p->set_max_length(512);
        if (p->protocol() == v1::SLIDING && p->stride() == 0) p->set_stride(std::max(1, p->max_length() / 2));
        if (p->protocol() == v1::FIRST_N && p->num_tokens() == 0) p->set_num_tokens(p->max_length());
        if (p->batch_size() == 0) p->set_batch_size(1);
        break;
      }
      case v1::EvaluationSpec::kMultipleChoice: {
        auto* m = e.mutable_multiple_choice();
        if (m->fewshot_sampler() == v1::FEWSHOT_SAMPLER_UNSPECIFIED) m->set_fewshot_sampler(v1::LM_EVAL);
        break;
      }
      case v1::EvaluationSpec::kGeneration: {
        auto* g = e.mutable_generation();
        if (g->max_new_tokens() == 0) g->set_max_new_tokens(256);
        if (g->fewshot_sampler() == v1::FEWSHOT_SAMPLER_UNSPECIFIED) g->set_fewshot_sampler(v1::LM_EVAL);
        break;
      }
      case v1::EvaluationSpec::kDiagnostics: {
        auto* d = e.mutable_diagnostics();
        if (d->num_tokens() == 0) d->set_num_tokens(512);
        break;
      }
      default:
        break;
    }
  }
  for (auto& a : *spec->mutable_ablations()) {
    if (a.name().empty()) a.set_name(AblationKindName(a));
    if (a.has_progressive()) {
      auto* p = a.mutable_progressive();
      if (p->orders_size() == 0) {
        p->add_orders(v1::FIRST);
        p->add_orders(v1::LAST);
      }
      if (p->trials() == 0) p->set_trials(1);
    }
    if (a.has_random()) {
      auto* r = a.mutable_random();
      if (r->pool() == v1::POOL_UNSPECIFIED) r->set_pool(v1::LAYERS);
      if (r->trials() == 0) r->set_trials(1);
    }
  }
}

}  // namespace ablate::spec
