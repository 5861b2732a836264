// pre_tokenizer.cc: see pre_tokenizer.h. The Split behaviours follow HF
// tokenizers' SplitDelimiterBehavior on the (piece, is_match) list.
#include "worker/text/pre_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "utf8proc.h"
#include "worker/text/byte_level.h"
#include "worker/text/utf8.h"

namespace ablate::text {
namespace {

struct Span {
  size_t begin, end;
  bool match;
};

absl::Status Invalid(absl::string_view source, absl::string_view field, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, ": ", msg));
}

absl::StatusOr<bool> GetBool(const nlohmann::json& j, const char* key, bool dflt, absl::string_view source,
                             const std::string& field) {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  if (!j[key].is_boolean()) return Invalid(source, absl::StrCat(field, ".", key), "expected a bool");
  return j[key].get<bool>();
}

bool IsPunctuation(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '!' && cp <= '/') || (cp >= ':' && cp <= '@') || (cp >= '[' && cp <= '`') || (cp >= '{' && cp <= '~');
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

// Splits `text` into spans covering it, marking the step's matches.
absl::Status FindSpans(const PreTokenizer::Step& step, absl::string_view text, std::vector<Span>* spans) {
  using K = PreTokenizer::Kind;
  spans->clear();
  std::vector<Regex::Match> matches;
  if (step.kind == K::kRegex || step.kind == K::kByteLevel) {
    RETURN_IF_ERROR(step.regex->FindAll(text, &matches));
  } else if (step.kind == K::kLiteral) {
    if (!step.literal.empty()) {
      for (size_t p = text.find(step.literal); p != absl::string_view::npos;
           p = text.find(step.literal, p + step.literal.size())) {
        matches.push_back({p, p + step.literal.size()});
      }
    }
  } else {
    // Character predicates: every matching character is one match.
    for (size_t i = 0; i < text.size();) {
      const size_t b = i;
      const char32_t cp = NextCodePoint(text, &i);
      const bool hit = step.kind == K::kPunctuation ? IsPunctuation(cp) : (cp >= '0' && cp <= '9');
      if (hit) matches.push_back({b, i});
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
std::vector<std::pair<size_t, size_t>> ApplyBehavior(PreTokenizer::Behavior behavior, const std::vector<Span>& spans) {
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

absl::StatusOr<PreTokenizer::Behavior> ParseBehavior(const nlohmann::json& j, absl::string_view source,
                                                     const std::string& field) {
  using B = PreTokenizer::Behavior;
  if (!j.is_string()) return Invalid(source, field, "expected a string");
  const std::string s = j;
  if (s == "Removed") return B::kRemoved;
  if (s == "Isolated") return B::kIsolated;
  if (s == "MergedWithPrevious") return B::kMergedWithPrevious;
  if (s == "MergedWithNext") return B::kMergedWithNext;
  if (s == "Contiguous") return B::kContiguous;
  return Invalid(source, field, absl::StrCat("unsupported behavior \"", s, "\""));
}

absl::StatusOr<PreTokenizer::Step> ByteLevelStep(bool add_prefix_space, bool use_regex) {
  PreTokenizer::Step step;
  step.kind = PreTokenizer::Kind::kByteLevel;
  step.add_prefix_space = add_prefix_space;
  if (use_regex) {
    ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(kGpt2Pattern, "ByteLevel"));
    step.regex = std::move(re);
  }
  return step;
}

}  // namespace

absl::StatusOr<PreTokenizer> PreTokenizer::ByteLevelOnly(bool add_prefix_space, bool use_regex) {
  PreTokenizer p;
  ASSIGN_OR_RETURN(Step step, ByteLevelStep(add_prefix_space, use_regex));
  p.steps_.push_back(std::move(step));
  p.copy_free_ = !add_prefix_space;
  return p;
}

absl::StatusOr<PreTokenizer> PreTokenizer::FromJson(const nlohmann::json& j, absl::string_view source) {
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
  int byte_level = 0;
  for (const auto& [node, field] : flat) {
    const std::string type = (*node)["type"];
    Step step;
    if (type == "Split") {
      const nlohmann::json pat = node->value("pattern", nlohmann::json());
      if (pat.is_object() && pat.contains("Regex") && pat["Regex"].is_string()) {
        step.kind = Kind::kRegex;
        ASSIGN_OR_RETURN(
            std::unique_ptr<Regex> re,
            Regex::Compile(pat["Regex"].get<std::string>(), absl::StrCat(source, ": ", field, ".pattern.Regex")));
        step.regex = std::move(re);
      } else if (pat.is_object() && pat.contains("String") && pat["String"].is_string()) {
        step.kind = Kind::kLiteral;
        step.literal = pat["String"].get<std::string>();
      } else {
        return Invalid(source, field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
      }
      if (!node->contains("behavior")) return Invalid(source, field + ".behavior", "missing");
      ASSIGN_OR_RETURN(step.behavior, ParseBehavior((*node)["behavior"], source, field + ".behavior"));
      ASSIGN_OR_RETURN(step.invert, GetBool(*node, "invert", false, source, field));
    } else if (type == "Punctuation") {
      step.kind = Kind::kPunctuation;
      if (node->contains("behavior") && !(*node)["behavior"].is_null()) {
        ASSIGN_OR_RETURN(step.behavior, ParseBehavior((*node)["behavior"], source, field + ".behavior"));
      }
    } else if (type == "Digits") {
      step.kind = Kind::kDigits;
      ASSIGN_OR_RETURN(bool individual, GetBool(*node, "individual_digits", false, source, field));
      step.behavior = individual ? Behavior::kIsolated : Behavior::kContiguous;
    } else if (type == "ByteLevel") {
      ++byte_level;
      // HF defaults: add_prefix_space = true, use_regex = true.
      ASSIGN_OR_RETURN(bool add_prefix_space, GetBool(*node, "add_prefix_space", true, source, field));
      ASSIGN_OR_RETURN(bool use_regex, GetBool(*node, "use_regex", true, source, field));
      ASSIGN_OR_RETURN(step, ByteLevelStep(add_prefix_space, use_regex));
    } else {
      return Invalid(source, field + ".type",
                     absl::StrCat("unsupported pre-tokenizer \"", type,
                                  "\" (supported: Split, Punctuation, Digits, ByteLevel, Sequence)"));
    }
    p.steps_.push_back(std::move(step));
  }
  for (size_t i = 0; i < p.steps_.size(); ++i) {
    const Step& st = p.steps_[i];
    if (st.kind == Kind::kByteLevel && (st.add_prefix_space || i + 1 != p.steps_.size())) {
      p.copy_free_ = false;
    }
  }
  if (byte_level != 1) {
    return Invalid(source, "pre_tokenizer",
                   byte_level == 0 ? "no ByteLevel pre-tokenizer: only byte-level BPE tokenizers are supported"
                                   : "more than one ByteLevel pre-tokenizer is not supported");
  }
  return p;
}

absl::Status PreTokenizer::Split(absl::string_view text, std::vector<std::string>* words) const {
  return ForEachWord(text, [words](absl::string_view w) { words->emplace_back(w); });
}

absl::Status PreTokenizer::ForEachWord(absl::string_view text, const std::function<void(absl::string_view)>& fn) const {
  std::vector<Span> spans;
  if (copy_free_) {
    std::vector<absl::string_view> pieces, next;
    if (!text.empty()) pieces.push_back(text);
    for (const Step& step : steps_) {
      if (step.kind == Kind::kByteLevel && step.regex == nullptr) continue;
      next.clear();
      for (absl::string_view piece : pieces) {
        RETURN_IF_ERROR(FindSpans(step, piece, &spans));
        for (const auto& [b, e] : ApplyBehavior(step.behavior, spans)) {
          if (e > b) next.push_back(piece.substr(b, e - b));
        }
      }
      pieces.swap(next);
    }
    for (absl::string_view piece : pieces) fn(piece);
    return absl::OkStatus();
  }
  std::vector<std::string> pieces;
  std::vector<std::string> next;
  if (!text.empty()) pieces.emplace_back(text);
  bool mapped = false;  // pieces hold byte-level characters (after ByteLevel)
  for (const Step& step : steps_) {
    if (step.kind == Kind::kByteLevel && step.add_prefix_space) {
      for (std::string& piece : pieces) {
        if (piece.empty() || piece[0] != ' ') piece.insert(piece.begin(), ' ');
      }
    }
    if (step.kind != Kind::kByteLevel || step.regex != nullptr) {
      next.clear();
      for (const std::string& piece : pieces) {
        RETURN_IF_ERROR(FindSpans(step, piece, &spans));
        for (const auto& [b, e] : ApplyBehavior(step.behavior, spans)) {
          if (e > b) next.emplace_back(piece, b, e - b);
        }
      }
      pieces.swap(next);
    }
    if (step.kind == Kind::kByteLevel) {
      // Later steps see the mapped text, as in HF. The last ByteLevel step
      // needs no mapping round trip.
      if (&step != &steps_.back()) {
        for (std::string& piece : pieces) piece = ByteLevelEncode(piece);
        mapped = true;
      }
    }
  }
  std::string raw;
  for (const std::string& piece : pieces) {
    if (mapped) {
      raw.clear();
      ByteLevelDecode(piece, &raw);
      fn(raw);
    } else {
      fn(piece);
    }
  }
  return absl::OkStatus();
}

}  // namespace ablate::text
