// yaml_proto.h: a generic YAML -> protobuf mapper driven by descriptors, so the
// proto stays the one schema and new fields work without parser changes.
//
// Mapping rules (documented for users in docs/spec.md):
//   * A YAML mapping fills a message; keys are proto field names (the JSON
//     camelCase name is accepted too). Unknown and duplicate keys are errors, and
//     so is setting two members of one oneof. YAML merge keys work
//     (`<<: *defaults`); keys written in the mapping override merged ones.
//   * Scalars: strings as written; integers in decimal (a float literal with an
//     integral value such as 1e6 is accepted), range-checked; booleans
//     true/false/yes/no/on/off; doubles incl. .inf/.nan; enums by value name in
//     any case ("skip_layer"), through per-enum parsers/aliases, never the 0 value.
//   * null: a message field is set (empty), a scalar field is left unset.
//   * A scalar naming a message-typed field of the target message sets that field
//     to an empty message ("baseline" for {baseline: {}}).
//   * For messages listed in `primary_shorthand`, a scalar or a sequence stands
//     for the message's first field ({layer_sweep: ssm}, {group: [attention, ssm]}).
//   * A repeated field accepts a single scalar as a one-element list; a repeated
//     message whose first field is a string also accepts the keyed form
//     {key: value, ...}: the key fills the first field, a mapping value fills the
//     rest, a scalar value fills the second field ({falcon_h1: zero}).
// Errors are InvalidArgument "<source>:<line>: <field path>: <what>", e.g.
// "spec.yaml:14: ablations[3].group.components[0]: unknown component 'conv'".
//
// Thread-safety: stateless functions; options are read-only.
//
//   YamlProtoOptions opts;
//   SourceLines lines;
//   RETURN_IF_ERROR(YamlToProto(YAML::Load(text), "spec.yaml", opts, &spec, &lines));
#ifndef ABLATE_SPEC_YAML_PROTO_H_
#define ABLATE_SPEC_YAML_PROTO_H_

#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace ablate::spec {

// Field path -> 1-based line of the YAML node that set it, recorded while mapping,
// so later (semantic) errors can point at the line too.
class SourceLines {
 public:
  void Record(const std::string& path, int line) { lines_.emplace(path, line); }
  // The line of `path` or of its nearest recorded ancestor ("a.b[2].c" -> "a.b[2]"
  // -> "a.b" -> "a"); 0 if none is known.
  int LineOf(absl::string_view path) const;

 private:
  std::map<std::string, int> lines_;
};

struct YamlProtoOptions {
  // Enum parsers by enum full name ("ablate.v1.Component"). They get the text as
  // written and return the value number, or InvalidArgument whose message is
  // used as is after the path ("unknown component 'conv' (...)").
  std::map<std::string, std::function<absl::StatusOr<int>(absl::string_view)>> enum_parsers;
  // Extra lower-case aliases per enum full name: alias -> value name ("random" -> "RANDOM_ORDER").
  std::map<std::string, std::map<std::string, std::string>> enum_aliases;
  // Message full names whose first field may be given directly (scalar or sequence).
  std::set<std::string> primary_shorthand;
};

// Maps `node` onto `msg` (merging into what is there). `source` prefixes errors;
// `lines` (may be null) receives the line of every field set.
absl::Status YamlToProto(const YAML::Node& node, absl::string_view source, const YamlProtoOptions& options,
                         google::protobuf::Message* msg, SourceLines* lines);

// Prefixes `message` with "<source>:<line>: <path>: " (parts omitted when empty/0).
absl::Status LocatedError(absl::string_view source, int line, absl::string_view path, absl::string_view message);

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_YAML_PROTO_H_
