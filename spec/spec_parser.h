// spec_parser.h: sweep specs in YAML (JSON accepted, it is YAML) -> v1::SweepSpec.
//
// The YAML keys are the proto field names (spec.proto is the one schema);
// enums are written in lower case ("skip_layer", "attention", "first_n").
// Errors name the offending field path and line, e.g.
// "spec.yaml:14: ablations[3].group.components[0]: unknown component 'conv'".
//
//   ASSIGN_OR_RETURN(v1::SweepSpec spec, LoadSweepSpec("examples/demo.yaml"));
#ifndef ABLATE_SPEC_SPEC_PARSER_H_
#define ABLATE_SPEC_SPEC_PARSER_H_

#include <string>
#include <vector>

#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::spec {

// Parses spec text. `source` names it in errors. Relative paths are kept as written.
absl::StatusOr<v1::SweepSpec> ParseSweepSpec(absl::string_view text, absl::string_view source);

// Reads and parses a file; relative model/tokenizer/dataset paths are resolved
// against the spec file's directory and made absolute. Evaluations marked
// `optional` whose data files are not on this machine are removed; `notes`
// (if not null) gets one line for each.
absl::StatusOr<v1::SweepSpec> LoadSweepSpec(const std::string& path, std::vector<std::string>* notes = nullptr);

// Makes the spec's relative model, tokenizer and data paths absolute against
// `base_dir` (for a spec sent as text: the directory the client names, never
// this process's working directory). InvalidArgument if a path is relative
// and `base_dir` is not an absolute directory name.
absl::Status ResolveSpecPaths(v1::SweepSpec* spec, const std::string& base_dir);

// Fills defaults (seeds [0], execution limits, evaluation parameters) in place.
void ApplyDefaults(v1::SweepSpec* spec);

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_SPEC_PARSER_H_
