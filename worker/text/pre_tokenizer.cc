// pre_tokenizer.cc: see pre_tokenizer.h. The Split behaviours follow HF
// tokenizers' SplitDelimiterBehavior on the (piece, is_match) list.
#include "worker/text/pre_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ablate::text {
namespace {

struct Span {
  size_t begin, end;
  bool match;
};

absl::Status Invalid(absl::string_view source, absl::string_view field, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, ": ", msg));
}

absl::StatusOr<bool> GetBool(const nlohmann::json& j, const char* key, bool dflt,
                             absl::string_view source, const std::string& field) {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  if (!j[key].is_boolean())
    return Invalid(source, absl::StrCat(field, ".", key), "expected a bool");
  return j[key].get<bool>();
}

// Splits `text` into spans covering it, marking the pattern's matches.
absl::Status FindSpans(const PreTokenizer::SplitStep& step, absl::string_view text,
                       std::vector<Span>* spans) {
  spans->clear();
  std::vector<Regex::Match> matches;
  if (step.regex != nullptr) {
    RETURN_IF_ERROR(step.regex->FindAll(text, &matches));
  } else if (!step.literal.empty()) {
    for (size_t p = text.find(step.literal); p != absl::string_view::npos;
         p = text.find(step.literal, p + step.literal.size())) {
      matches.push_back({p, p + step.literal.size()});
    }
  }
  size_t prev = 0;
  for (const Regex::Match& m : matches) {
    if (m.begin != prev) spans->push_back({prev, m.begin, false});
    spans->push_back({m.begin, m.end, true});
    prev = m.end;
  }
  if (prev != text.size()) spans->push_back({prev, text.size(), false});
  if (step.invert) {
    for (Span& s : *spans) s.match = !s.match;
  }
  return absl::OkStatus();
}

// HF SplitDelimiterBehavior applied to the spans.
std::vector<std::pair<size_t, size_t>> ApplyBehavior(PreTokenizer::Behavior behavior,
                                                     const std::vector<Span>& spans) {
  using B = PreTokenizer::Behavior;
  std::vector<std::pair<size_t, size_t>> out;
  switch (behavior) {
    case B::kIsolated:
      for (const Span& s : spans) out.emplace_back(s.begin, s.end);
      break;
    case B::kRemoved:
      for (const Span& s : spans) {
        if (!s.match) out.emplace_back(s.begin, s.end);
      }
      break;
    case B::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Span& s : spans) {
        if (s.match && !previous_match && !out.empty()) {
          out.back().second = s.end;
        } else {
          out.emplace_back(s.begin, s.end);
        }
        previous_match = s.match;
      }
      break;
    }
    case B::kMergedWithNext: {
      bool previous_match = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->match && !previous_match && !out.empty()) {
          out.back().first = it->begin;
        } else {
          out.emplace_back(it->begin, it->end);
        }
        previous_match = it->match;
      }
      std::reverse(out.begin(), out.end());
      break;
    }
    case B::kContiguous: {
      bool previous_match = false;
      for (const Span& s : spans) {
        if (s.match == previous_match && !out.empty()) {
          out.back().second = s.end;
        } else {
          out.emplace_back(s.begin, s.end);
        }
        previous_match = s.match;
      }
      break;
    }
  }
  return out;
}

absl::StatusOr<PreTokenizer::Behavior> ParseBehavior(const nlohmann::json& j,
                                                     absl::string_view source,
                                                     const std::string& field) {
  using B = PreTokenizer::Behavior;
  if (!j.is_string()) return Invalid(source, field, "expected a string");
  const std::string s = j;
  if (s == "Removed") return B::kRemoved;
  if (s == "Isolated") return B::kIsolated;
  if (s == "MergedWithPrevious") return B::kMergedWithPrevious;
  if (s == "MergedWithNext") return B::kMergedWithNext;
  if (s == "Contiguous") return B::kContiguous;
  return Invalid(source, field, absl::StrCat("unsupported Split behavior \"", s, "\""));
}

}  // namespace

absl::StatusOr<PreTokenizer> PreTokenizer::ByteLevelOnly(bool add_prefix_space, bool use_regex) {
  PreTokenizer p;
  p.add_prefix_space_ = add_prefix_space;
  p.prefix_step_ = 0;
  if (use_regex) {
    ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(kGpt2Pattern, "ByteLevel"));
    p.steps_.push_back(
        {std::shared_ptr<const Regex>(std::move(re)), "", Behavior::kIsolated, false});
  }
  return p;
}

absl::StatusOr<PreTokenizer> PreTokenizer::FromJson(const nlohmann::json& j,
                                                    absl::string_view source) {
  // Flatten Sequences into (json, field) steps.
  std::vector<std::pair<const nlohmann::json*, std::string>> flat;
  std::vector<std::pair<const nlohmann::json*, std::string>> stack = {{&j, "pre_tokenizer"}};
  while (!stack.empty()) {
    auto [node, field] = stack.back();
    stack.pop_back();
    if (node->is_null()) {
      return Invalid(source, field, "missing: a byte-level BPE needs a ByteLevel pre-tokenizer");
    }
    if (!node->is_object() || !node->contains("type") || !(*node)["type"].is_string()) {
      return Invalid(source, field, "expected an object with a string \"type\"");
    }
    if ((*node)["type"] == "Sequence") {
      if (!node->contains("pretokenizers") || !(*node)["pretokenizers"].is_array()) {
        return Invalid(source, field + ".pretokenizers", "expected an array");
      }
      const nlohmann::json& list = (*node)["pretokenizers"];
      for (size_t i = list.size(); i-- > 0;) {
        stack.emplace_back(&list[i], absl::StrCat(field, ".pretokenizers[", i, "]"));
      }
    } else {
      flat.emplace_back(node, field);
    }
  }

  PreTokenizer p;
  bool saw_byte_level = false;
  for (const auto& [node, field] : flat) {
    const std::string type = (*node)["type"];
    if (saw_byte_level) {
      return Invalid(source, field,
                     absl::StrCat("\"", type,
                                  "\" after ByteLevel is not supported "
                                  "(ByteLevel must be the last pre-tokenizer)"));
    }
    if (type == "Split") {
      SplitStep step;
      const nlohmann::json pat = node->value("pattern", nlohmann::json());
      if (pat.is_object() && pat.contains("Regex") && pat["Regex"].is_string()) {
        ASSIGN_OR_RETURN(std::unique_ptr<Regex> re,
                         Regex::Compile(pat["Regex"].get<std::string>(),
                                        absl::StrCat(source, ": ", field, ".pattern.Regex")));
        step.regex = std::move(re);
      } else if (pat.is_object() && pat.contains("String") && pat["String"].is_string()) {
        step.literal = pat["String"].get<std::string>();
      } else {
        return Invalid(source, field + ".pattern",
                       "expected {\"Regex\": ...} or {\"String\": ...}");
      }
      if (!node->contains("behavior")) return Invalid(source, field + ".behavior", "missing");
      ASSIGN_OR_RETURN(step.behavior,
                       ParseBehavior((*node)["behavior"], source, field + ".behavior"));
      ASSIGN_OR_RETURN(step.invert, GetBool(*node, "invert", false, source, field));
      p.steps_.push_back(std::move(step));
    } else if (type == "ByteLevel") {
      saw_byte_level = true;
      // HF defaults: add_prefix_space = true, use_regex = true.
      ASSIGN_OR_RETURN(p.add_prefix_space_,
                       GetBool(*node, "add_prefix_space", true, source, field));
      ASSIGN_OR_RETURN(bool use_regex, GetBool(*node, "use_regex", true, source, field));
      p.prefix_step_ = p.steps_.size();
      if (use_regex) {
        ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(kGpt2Pattern, "ByteLevel"));
        p.steps_.push_back(
            {std::shared_ptr<const Regex>(std::move(re)), "", Behavior::kIsolated, false});
      }
    } else {
      return Invalid(source, field + ".type",
                     absl::StrCat("unsupported pre-tokenizer \"", type,
                                  "\" (supported: Split, ByteLevel, Sequence)"));
    }
  }
  if (!saw_byte_level) {
    return Invalid(source, "pre_tokenizer",
                   "no ByteLevel pre-tokenizer: only byte-level BPE tokenizers are supported");
  }
  return p;
}

absl::Status PreTokenizer::Split(absl::string_view text, std::vector<std::string>* words) const {
  std::vector<std::string> pieces;
  std::vector<std::string> next;
  std::vector<Span> spans;
  if (!text.empty()) pieces.emplace_back(text);
  for (size_t s = 0; s <= steps_.size(); ++s) {
    if (s == prefix_step_ && add_prefix_space_) {
      for (std::string& piece : pieces) {
        if (piece.empty() || piece[0] != ' ') piece.insert(piece.begin(), ' ');
      }
    }
    if (s == steps_.size()) break;
    next.clear();
    for (const std::string& piece : pieces) {
      RETURN_IF_ERROR(FindSpans(steps_[s], piece, &spans));
      for (const auto& [b, e] : ApplyBehavior(steps_[s].behavior, spans)) {
        if (e > b) next.emplace_back(piece, b, e - b);
      }
    }
    pieces.swap(next);
  }
  for (std::string& piece : pieces) words->push_back(std::move(piece));
  return absl::OkStatus();
}

}  // namespace ablate::text
