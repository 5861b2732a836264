// yaml_proto.cc: descriptor-driven YAML -> protobuf mapping (see yaml_proto.h).
#include "spec/yaml_proto.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"

namespace ablate::spec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Join(absl::string_view path, absl::string_view field) {
  return path.empty() ? std::string(field) : absl::StrCat(path, ".", field);
}

std::string Index(absl::string_view path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

int LineOf(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.line < 0 ? 0 : m.line + 1;
}

const char* KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

// Lower-case enum value names, without the 0 value: "skip_layer, zero, scale".
std::string EnumChoices(const EnumDescriptor* e) {
  std::vector<std::string> names;
  for (int i = 0; i < e->value_count(); ++i) {
    if (e->value(i)->number() == 0) continue;
    names.push_back(absl::AsciiStrToLower(e->value(i)->name()));
  }
  return absl::StrJoin(names, ", ");
}

class Mapper {
 public:
  Mapper(absl::string_view source, const YamlProtoOptions& options, SourceLines* lines)
      : source_(source), options_(options), lines_(lines) {}

  absl::Status Message(const YAML::Node& node, const std::string& path, google::protobuf::Message* msg) {
    Record(path, node);
    const Descriptor* d = msg->GetDescriptor();
    if (node.IsNull()) return absl::OkStatus();
    if (node.IsScalar()) {
      // "baseline" -> {baseline: {}}
      const FieldDescriptor* f = d->FindFieldByName(node.Scalar());
      if (f != nullptr && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated()) {
        RETURN_IF_ERROR(CheckOneof(msg, f, node, path));
        msg->GetReflection()->MutableMessage(msg, f);
        Record(Join(path, f->name()), node);
        return absl::OkStatus();
      }
    }
    if ((node.IsScalar() || node.IsSequence()) && options_.primary_shorthand.count(d->full_name()) &&
        d->field_count() > 0) {
      const FieldDescriptor* first = FirstField(d);
      return Field(node, Join(path, first->name()), msg, first);
    }
    if (!node.IsMap()) {
      return Error(node, path,
                   absl::StrCat("expected a mapping with fields (", FieldList(d), "), got ",
                                node.IsScalar() ? absl::StrCat("'", node.Scalar(), "'") : KindName(node)));
    }
    // Keys written in this mapping first; then those of "<<" merges (YAML merge
    // keys) that the mapping does not set itself, earlier merge sources first.
    std::vector<std::pair<YAML::Node, YAML::Node>> own, merged;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "<<") {
        RETURN_IF_ERROR(CollectMerge(it->second, path, &merged));
      } else {
        own.emplace_back(it->first, it->second);
      }
    }
    std::set<std::string> seen;
    for (const auto& [key, value] : own) {
      if (!key.IsScalar()) return Error(key, path, "mapping keys must be field names");
      ASSIGN_OR_RETURN(const FieldDescriptor* f, FindField(d, key, path));
      const std::string fpath = Join(path, key.Scalar());
      if (!seen.insert(f->name()).second) return Error(key, fpath, "given twice");
      RETURN_IF_ERROR(CheckOneof(msg, f, key, fpath));
      Record(fpath, key);
      RETURN_IF_ERROR(Field(value, fpath, msg, f));
    }
    for (const auto& [key, value] : merged) {
      if (!key.IsScalar()) return Error(key, path, "mapping keys must be field names");
      ASSIGN_OR_RETURN(const FieldDescriptor* f, FindField(d, key, path));
      if (!seen.insert(f->name()).second) continue;  // overridden
      const std::string fpath = Join(path, key.Scalar());
      RETURN_IF_ERROR(CheckOneof(msg, f, key, fpath));
      Record(fpath, key);
      RETURN_IF_ERROR(Field(value, fpath, msg, f));
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<const FieldDescriptor*> FindField(const Descriptor* d, const YAML::Node& key,
                                                   const std::string& path) {
    const std::string& name = key.Scalar();
    const FieldDescriptor* f = d->FindFieldByName(name);
    if (f == nullptr) f = d->FindFieldByCamelcaseName(name);
    if (f == nullptr) {
      return Error(key, Join(path, name),
                   absl::StrCat("unknown field '", name, "' (expected one of: ", FieldList(d), ")"));
    }
    return f;
  }

  // The entries of a "<<" value: a mapping or a list of mappings (nested merges included).
  absl::Status CollectMerge(const YAML::Node& v, const std::string& path,
                            std::vector<std::pair<YAML::Node, YAML::Node>>* out) {
    if (v.IsSequence()) {
      for (size_t i = 0; i < v.size(); ++i) RETURN_IF_ERROR(CollectMerge(v[i], path, out));
      return absl::OkStatus();
    }
    if (!v.IsMap()) return Error(v, Join(path, "<<"), "a merge key needs a mapping or a list of mappings");
    std::vector<std::pair<YAML::Node, YAML::Node>> nested;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "<<") {
        RETURN_IF_ERROR(CollectMerge(it->second, path, &nested));
      } else {
        out->emplace_back(it->first, it->second);
      }
    }
    out->insert(out->end(), nested.begin(), nested.end());
    return absl::OkStatus();
  }

  static const FieldDescriptor* FirstField(const Descriptor* d) {
    const FieldDescriptor* best = d->field(0);
    for (int i = 1; i < d->field_count(); ++i)
      if (d->field(i)->number() < best->number()) best = d->field(i);
    return best;
  }
  static const FieldDescriptor* SecondField(const Descriptor* d) {
    const FieldDescriptor* first = FirstField(d);
    const FieldDescriptor* best = nullptr;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f == first) continue;
      if (best == nullptr || f->number() < best->number()) best = f;
    }
    return best;
  }
  static std::string FieldList(const Descriptor* d) {
    std::vector<std::string> names;
    for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->name());
    return absl::StrJoin(names, ", ");
  }

  absl::Status CheckOneof(google::protobuf::Message* msg, const FieldDescriptor* f, const YAML::Node& at,
                          const std::string& path) {
    const auto* oneof = f->containing_oneof();
    if (oneof == nullptr) return absl::OkStatus();
    const FieldDescriptor* set = msg->GetReflection()->GetOneofFieldDescriptor(*msg, oneof);
    if (set != nullptr && set != f) {
      return Error(at, path,
                   absl::StrCat("'", set->name(), "' and '", f->name(), "' are alternatives (", oneof->name(),
                                "); give only one"));
    }
    return absl::OkStatus();
  }

  absl::Status Field(const YAML::Node& node, const std::string& path, google::protobuf::Message* msg,
                     const FieldDescriptor* f) {
    const Reflection* r = msg->GetReflection();
    if (f->is_map()) return Error(node, path, "map fields are not supported in specs");
    if (!f->is_repeated()) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) return Message(node, path, r->MutableMessage(msg, f));
      if (node.IsNull()) return absl::OkStatus();
      return Scalar(node, path, msg, f, /*add=*/false);
    }
    if (node.IsNull()) return absl::OkStatus();
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        const YAML::Node el = node[i];
        const std::string epath = Index(path, i);
        Record(epath, el);
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          RETURN_IF_ERROR(Message(el, epath, r->AddMessage(msg, f)));
        } else {
          RETURN_IF_ERROR(Scalar(el, epath, msg, f, /*add=*/true));
        }
      }
      return absl::OkStatus();
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!node.IsScalar())
        return Error(node, path, absl::StrCat("expected a list or a single value, got ", KindName(node)));
      return Scalar(node, Index(path, 0), msg, f, /*add=*/true);
    }
    // Repeated message: a mapping is the keyed form when the first field is a string.
    const Descriptor* d = f->message_type();
    const FieldDescriptor* key_field = FirstField(d);
    if (!node.IsMap() || key_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING || key_field->is_repeated()) {
      return Error(node, path, absl::StrCat("expected a list, got ", KindName(node)));
    }
    size_t i = 0;
    std::set<std::string> keys;
    for (auto it = node.begin(); it != node.end(); ++it, ++i) {
      const std::string epath = Index(path, i);
      const YAML::Node key = it->first;
      if (!key.IsScalar()) return Error(key, epath, "keys must be scalars");
      if (!keys.insert(key.Scalar()).second)
        return Error(key, epath, absl::StrCat("key '", key.Scalar(), "' given twice"));
      Record(epath, key);
      google::protobuf::Message* el = r->AddMessage(msg, f);
      el->GetReflection()->SetString(el, key_field, key.Scalar());
      Record(Join(epath, key_field->name()), key);
      const YAML::Node value = it->second;
      if (value.IsMap()) {
        if (value[key_field->name()])
          return Error(value, Join(epath, key_field->name()),
                       absl::StrCat("already given as the key '", key.Scalar(), "'"));
        RETURN_IF_ERROR(Message(value, epath, el));
      } else if (value.IsScalar() && SecondField(d) != nullptr &&
                 !el->GetDescriptor()->FindFieldByName(value.Scalar())) {
        const FieldDescriptor* second = SecondField(d);
        RETURN_IF_ERROR(Field(value, Join(epath, second->name()), el, second));
      } else {
        RETURN_IF_ERROR(Message(value, epath, el));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Scalar(const YAML::Node& node, const std::string& path, google::protobuf::Message* msg,
                      const FieldDescriptor* f, bool add) {
    const Reflection* r = msg->GetReflection();
    if (!node.IsScalar()) {
      return Error(node, path, absl::StrCat("expected ", Expected(f), ", got ", KindName(node)));
    }
    const std::string& text = node.Scalar();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        add ? r->AddString(msg, f, text) : r->SetString(msg, f, text);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_BOOL: {
        const std::string t = absl::AsciiStrToLower(text);
        bool v;
        if (t == "true" || t == "yes" || t == "on") {
          v = true;
        } else if (t == "false" || t == "no" || t == "off") {
          v = false;
        } else {
          return Error(node, path, absl::StrCat("expected true or false, got '", text, "'"));
        }
        add ? r->AddBool(msg, f, v) : r->SetBool(msg, f, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        ASSIGN_OR_RETURN(double v, ParseDouble(node, path, text));
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
          add ? r->AddDouble(msg, f, v) : r->SetDouble(msg, f, v);
        } else {
          add ? r->AddFloat(msg, f, static_cast<float>(v)) : r->SetFloat(msg, f, static_cast<float>(v));
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64:
        return Integer(node, path, text, msg, f, add);
      case FieldDescriptor::CPPTYPE_ENUM: {
        ASSIGN_OR_RETURN(int v, Enum(node, path, text, f));
        add ? r->AddEnumValue(msg, f, v) : r->SetEnumValue(msg, f, v);
        return absl::OkStatus();
      }
      default:
        return Error(node, path, "unsupported field type");
    }
  }

  static std::string Expected(const FieldDescriptor* f) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return "a string";
      case FieldDescriptor::CPPTYPE_BOOL:
        return "true or false";
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT:
        return "a number";
      case FieldDescriptor::CPPTYPE_ENUM:
        return absl::StrCat("one of ", EnumChoices(f->enum_type()));
      default:
        return "an integer";
    }
  }

  absl::StatusOr<double> ParseDouble(const YAML::Node& node, const std::string& path, const std::string& text) {
    const std::string t = absl::AsciiStrToLower(text);
    if (t == ".inf" || t == "+.inf") return std::numeric_limits<double>::infinity();
    if (t == "-.inf") return -std::numeric_limits<double>::infinity();
    if (t == ".nan") return std::numeric_limits<double>::quiet_NaN();
    double v;
    if (!absl::SimpleAtod(text, &v)) {
      return Error(node, path, absl::StrCat("expected a number, got '", text, "'"));
    }
    return v;
  }

  absl::Status Integer(const YAML::Node& node, const std::string& path, const std::string& text,
                       google::protobuf::Message* msg, const FieldDescriptor* f, bool add) {
    const Reflection* r = msg->GetReflection();
    const bool is_unsigned =
        f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 || f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
    int64_t sv = 0;
    uint64_t uv = 0;
    bool ok = is_unsigned ? absl::SimpleAtoi(text, &uv) : absl::SimpleAtoi(text, &sv);
    if (!ok) {
      // 1e6, 2.0: a float literal with an integral value.
      double d;
      if (absl::SimpleAtod(text, &d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
        if (is_unsigned) {
          if (d >= 0) {
            uv = static_cast<uint64_t>(d);
            ok = true;
          }
        } else {
          sv = static_cast<int64_t>(d);
          ok = true;
        }
      }
    }
    if (!ok) {
      if (is_unsigned && !text.empty() && text[0] == '-')
        return Error(node, path, absl::StrCat("expected a non-negative integer, got '", text, "'"));
      return Error(node, path, absl::StrCat("expected an integer, got '", text, "'"));
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        if (sv < std::numeric_limits<int32_t>::min() || sv > std::numeric_limits<int32_t>::max())
          return Error(node, path, absl::StrCat("value ", text, " is out of range for a 32-bit integer"));
        add ? r->AddInt32(msg, f, static_cast<int32_t>(sv)) : r->SetInt32(msg, f, static_cast<int32_t>(sv));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        add ? r->AddInt64(msg, f, sv) : r->SetInt64(msg, f, sv);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        if (uv > std::numeric_limits<uint32_t>::max())
          return Error(node, path, absl::StrCat("value ", text, " is out of range for a 32-bit integer"));
        add ? r->AddUInt32(msg, f, static_cast<uint32_t>(uv)) : r->SetUInt32(msg, f, static_cast<uint32_t>(uv));
        break;
      default:
        add ? r->AddUInt64(msg, f, uv) : r->SetUInt64(msg, f, uv);
        break;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int> Enum(const YAML::Node& node, const std::string& path, const std::string& text,
                           const FieldDescriptor* f) {
    const EnumDescriptor* e = f->enum_type();
    auto parser = options_.enum_parsers.find(e->full_name());
    if (parser != options_.enum_parsers.end()) {
      absl::StatusOr<int> v = parser->second(text);
      if (!v.ok()) return Error(node, path, v.status().message());
      return *v;
    }
    std::string name = absl::AsciiStrToLower(text);
    auto aliases = options_.enum_aliases.find(e->full_name());
    if (aliases != options_.enum_aliases.end()) {
      auto a = aliases->second.find(name);
      if (a != aliases->second.end()) name = absl::AsciiStrToLower(a->second);
    }
    const auto* v = e->FindValueByName(absl::AsciiStrToUpper(name));
    if (v == nullptr || v->number() == 0) {
      return Error(node, path,
                   absl::StrCat("unknown ", f->name(), " '", text, "' (expected one of: ", EnumChoices(e), ")"));
    }
    return v->number();
  }

  void Record(const std::string& path, const YAML::Node& node) {
    if (lines_ != nullptr && !path.empty()) lines_->Record(path, LineOf(node));
  }

  absl::Status Error(const YAML::Node& node, absl::string_view path, absl::string_view what) {
    return LocatedError(source_, LineOf(node), path, what);
  }

  std::string source_;
  const YamlProtoOptions& options_;
  SourceLines* lines_;
};

}  // namespace

int SourceLines::LineOf(absl::string_view path) const {
  std::string p(path);
  while (!p.empty()) {
    auto it = lines_.find(p);
    if (it != lines_.end()) return it->second;
    const size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  return 0;
}

absl::Status LocatedError(absl::string_view source, int line, absl::string_view path, absl::string_view message) {
  std::string out;
  if (!source.empty()) absl::StrAppend(&out, source, ":");
  if (line > 0) absl::StrAppend(&out, line, ":");
  if (!out.empty()) out += " ";
  if (!path.empty()) absl::StrAppend(&out, path, ": ");
  absl::StrAppend(&out, message);
  return absl::InvalidArgumentError(out);
}

absl::Status YamlToProto(const YAML::Node& node, absl::string_view source, const YamlProtoOptions& options,
                         google::protobuf::Message* msg, SourceLines* lines) {
  Mapper m(source, options, lines);
  return m.Message(node, "", msg);
}

}  // namespace ablate::spec
