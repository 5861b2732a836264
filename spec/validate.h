// validate.h: the checks on a SweepSpec that need no model layout (shape of the
// spec, names, ranges, required fields). The parser runs them to point at the
// offending line; ExpandSweep runs them again because specs also arrive over
// RPC. Layout-dependent checks (component present, counts vs pool, layer
// ranges) live in the expander.
//
// Thread-safety: pure functions.
//
//   if (auto e = FindSpecError(spec)) std::cerr << e->path << ": " << e->message;
#ifndef ABLATE_SPEC_VALIDATE_H_
#define ABLATE_SPEC_VALIDATE_H_

#include <optional>
#include <string>

#include "ablate/v1/spec.pb.h"
#include "absl/status/status.h"

namespace ablate::spec {

struct SpecError {
  std::string path;     // field path, e.g. "ablations[3].group.components[0]"
  std::string message;  // what is wrong, e.g. "required"
};

// The first problem found, in field order; nullopt when the spec is well formed.
// Works on specs with or without ApplyDefaults.
std::optional<SpecError> FindSpecError(const v1::SweepSpec& spec);

// OK, or InvalidArgument "<path>: <message>".
absl::Status ValidateSweepSpec(const v1::SweepSpec& spec);

// "baseline", "group", ... : the oneof member name of the ablation's kind; "" if unset.
std::string AblationKindName(const v1::AblationSpec& a);

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_VALIDATE_H_
