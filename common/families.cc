// families.cc: the family table (see families.h). Adding a shipped family is
// one row here, plus its config parsing (model_config.cc), its wiring
// (worker/models/families/<name>.cc) and its row in worker/models/families/registry.cc
// (docs/architecture.md, "Model families and the layer composition").
#include "common/families.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace ablate {
namespace {

constexpr FamilyEntry kFamilies[] = {
    {Family::kTransformer, "qwen2", {"qwen2", "llama"}, "transformer", "Qwen2 / Llama transformer", v1::SKIP_LAYER},
    {Family::kQwen35,
     "qwen3_5",
     {"qwen3_5_text", "qwen3_5"},
     "hybrid",
     "Qwen3.5 hybrid (Gated DeltaNet + gated attention)",
     v1::SKIP_LAYER},
    {Family::kFalconH1,
     "falcon_h1",
     {"falcon_h1", ""},
     "hybrid",
     "Falcon-H1 hybrid (Mamba-2 and attention in parallel)",
     v1::ZERO},
};

// "a, b or c".
std::string OrList(absl::Span<const FamilyEntry> entries) {
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out += (i + 1 == entries.size()) ? " or " : ", ";
    absl::StrAppend(&out, entries[i].name);
  }
  return out;
}

}  // namespace

absl::Span<const FamilyEntry> Families() { return kFamilies; }

const FamilyEntry& FamilyInfo(Family f) {
  for (const FamilyEntry& e : kFamilies) {
    if (e.family == f) return e;
  }
  // Unreachable for a valid enum value (vocabulary_test covers each).
  std::abort();
}

absl::string_view FamilyName(Family f) { return FamilyInfo(f).name; }

absl::StatusOr<Family> ParseFamily(absl::string_view name) {
  for (const FamilyEntry& e : kFamilies) {
    if (e.name == name) return e.family;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown family '", name, "' (expected ", FamilyNameList(), ")"));
}

absl::StatusOr<Family> FamilyOfModelType(absl::string_view model_type) {
  for (const FamilyEntry& e : kFamilies) {
    for (absl::string_view t : e.model_types) {
      if (!t.empty() && t == model_type) return e.family;
    }
  }
  return absl::NotFoundError("no family for this model_type");
}

std::string FamilyNameList() { return OrList(Families()); }

std::string ModelTypeList() {
  std::string out;
  for (const FamilyEntry& e : kFamilies) {
    for (absl::string_view t : e.model_types) {
      if (t.empty()) continue;
      absl::StrAppend(&out, out.empty() ? "" : ", ", t);
    }
  }
  return out;
}

}  // namespace ablate
