// vocabulary.h: the closed vocabularies of ablate that are proto enums, one
// table each: component, ablation kind, ablation mode (the fourth, the model
// family, belongs to the layout library: common/families.h). Every other place
// (spec parser and validator, condition labels, CLI filters and tables, the
// HTTP API, the report, the SQL views of storage/schema.cc) derives names,
// aliases and display text from these tables; nothing else lists the values.
//
// Each entry holds the proto value (where the vocabulary is a proto enum), the
// lower-case name used in specs, the CLI, SQL views and JSON, the accepted
// aliases, and a display text for people. Names and aliases are matched
// case-insensitively. The tables are constants: safe from any thread.
//
//   ASSIGN_OR_RETURN(v1::Component c, ParseComponent("gdn"));   // LINEAR_ATTENTION
//   ComponentName(c);                                           // "linear_attention"
//   ComponentNameSql("j.component");  // "CASE j.component WHEN 1 THEN 'attention' ... END"
#ifndef ABLATE_COMMON_VOCABULARY_H_
#define ABLATE_COMMON_VOCABULARY_H_

#include <array>
#include <string>

#include "ablate/v1/job.pb.h"
#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ablate {

// ---- Component (v1.Component) ----

struct ComponentEntry {
  v1::Component value;
  absl::string_view name;                    // "linear_attention"
  std::array<absl::string_view, 3> aliases;  // "gdn", "deltanet", ... ("" = unused slot)
  absl::string_view display;                 // "Gated DeltaNet (linear attention)"
};

// Every component except COMPONENT_UNSPECIFIED, in proto order.
absl::Span<const ComponentEntry> Components();
// "attention", "linear_attention", "ssm", "mlp", "layer"; "unspecified" for any other value.
// (Also declared in common/model_config.h, for the layout library's users.)
absl::string_view ComponentName(v1::Component c);
// As ComponentName, but "" for COMPONENT_UNSPECIFIED (table cells, JSON, SQL views).
absl::string_view ComponentNameOrEmpty(v1::Component c);
// Accepts the names and the aliases; InvalidArgument listing the names otherwise.
absl::StatusOr<v1::Component> ParseComponent(absl::string_view name);
// "attention, linear_attention, ssm, mlp or layer" (for messages).
std::string ComponentNameList();

// ---- Ablation kind (v1.AblationKind) ----

struct KindEntry {
  v1::AblationKind value;
  absl::string_view name;     // "layer_sweep": also the AblationSpec oneof field name
  absl::string_view display;  // "one layer at a time"
};

// Every kind except KIND_UNSPECIFIED, in proto order.
absl::Span<const KindEntry> Kinds();
// "baseline", "group", ...; "" for KIND_UNSPECIFIED or an unknown value.
absl::string_view KindName(v1::AblationKind k);
// Accepts the names (case-insensitive); InvalidArgument listing them otherwise.
absl::StatusOr<v1::AblationKind> ParseKind(absl::string_view name);
// "baseline, group, layer_sweep, positional, progressive, random or explicit".
std::string KindNameList();

// ---- Ablation mode (v1.AblationMode) ----

struct ModeEntry {
  v1::AblationMode value;
  absl::string_view name;                    // "skip_layer"
  std::array<absl::string_view, 1> aliases;  // "skip" ("" = unused slot)
  absl::string_view display;                 // "skip the whole layer"
};

// Every mode except MODE_UNSPECIFIED, in proto order.
absl::Span<const ModeEntry> Modes();
// "skip_layer", "zero", "scale"; "" for MODE_UNSPECIFIED or an unknown value.
absl::string_view ModeName(v1::AblationMode m);
// Accepts names and aliases (case-insensitive); InvalidArgument listing the names otherwise.
absl::StatusOr<v1::AblationMode> ParseMode(absl::string_view name);
// "skip_layer, zero or scale".
std::string ModeNameList();

// ---- SQL ----

// "CASE <column> WHEN 1 THEN 'attention' ... ELSE '' END": the component name
// of an integer column holding v1.Component values, for SQL views.
std::string ComponentNameSql(absl::string_view column);
// The same for a column holding v1.AblationKind values.
std::string KindNameSql(absl::string_view column);

}  // namespace ablate

#endif  // ABLATE_COMMON_VOCABULARY_H_
