// families.h: the model family vocabulary, one table: each family's name (as
// specs, jobs.model_family and docs write it), the config.json model_type
// values that select it, its role in a study (transformer or hybrid), display
// text and default ablation mode. The Family enum itself is declared with the
// layout library (common/model_config.h); model_type dispatch, spec validation,
// mode defaults, the report and the worker's family registry derive from here.
// The tables are constants: safe from any thread.
//
//   ASSIGN_OR_RETURN(Family f, ParseFamily("falcon_h1"));
//   FamilyInfo(f).default_mode;  // v1::ZERO
#ifndef ABLATE_COMMON_FAMILIES_H_
#define ABLATE_COMMON_FAMILIES_H_

#include <array>
#include <string>

#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/model_config.h"

namespace ablate {

struct FamilyEntry {
  Family family;
  absl::string_view name;                        // "qwen2": specs (mode_defaults), jobs.model_family, docs
  std::array<absl::string_view, 2> model_types;  // config.json model_type values ("" = unused slot)
  absl::string_view role;                        // "transformer" or "hybrid" (report legends)
  absl::string_view display;                     // for people: "Qwen2 / Llama transformer"
  v1::AblationMode default_mode;                 // when neither the ablation, the model nor mode_defaults sets one
};

// Every family, in enum order.
absl::Span<const FamilyEntry> Families();
// The entry of `f` (every Family value has one).
const FamilyEntry& FamilyInfo(Family f);
// FamilyName(f) (declared in model_config.h) is FamilyInfo(f).name.

// The family named `name` (exact, lower case). InvalidArgument naming the
// supported families otherwise, never a fallback.
absl::StatusOr<Family> ParseFamily(absl::string_view name);
// The family whose config.json model_type is `model_type` (exact), or NotFound.
absl::StatusOr<Family> FamilyOfModelType(absl::string_view model_type);
// "qwen2, qwen3_5 or falcon_h1" (for messages).
std::string FamilyNameList();
// "qwen2, llama, qwen3_5_text, qwen3_5, falcon_h1" (for messages).
std::string ModelTypeList();

}  // namespace ablate

#endif  // ABLATE_COMMON_FAMILIES_H_
