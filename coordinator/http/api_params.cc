// api_params.cc: see api_params.h.
#include "coordinator/http/api_params.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/vocabulary.h"

namespace ablate::coordinator::http {
namespace {

// Checks count, size and uniqueness, and that every name is in `allowed`.
absl::Status CheckParams(const QueryParams& params, const absl::flat_hash_set<absl::string_view>& allowed) {
  if (params.size() > kMaxParams) {
    return absl::InvalidArgumentError(absl::StrCat("too many query parameters (at most ", kMaxParams, ")"));
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (const auto& [name, value] : params) {
    if (!allowed.contains(name)) {
      // The name is echoed only if short and printable.
      const bool printable = name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
                               return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
                             });
      return absl::InvalidArgumentError(printable ? absl::StrCat("unknown query parameter '", name, "'")
                                                  : "unknown query parameter");
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": given more than once"));
    }
    if (value.size() > kMaxParamValueBytes) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": longer than ", kMaxParamValueBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int32_t> ParsePageSize(absl::string_view text, int32_t def, int32_t max) {
  if (text.empty()) return def;
  int64_t v = 0;
  if (text.size() > 18 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      !absl::SimpleAtoi(text, &v) || v <= 0) {
    return absl::InvalidArgumentError("page_size: must be a positive integer");
  }
  return static_cast<int32_t>(std::min<int64_t>(v, max));
}

absl::StatusOr<int64_t> ParseCursor(absl::string_view text) {
  if (text.empty()) return 0;
  return ParseId("after", text);
}

// Enum by name, case-insensitively ("layer_sweep" or "LAYER_SWEEP").
template <typename E>
absl::StatusOr<E> ParseEnum(absl::string_view what, absl::string_view text, bool (*parse)(const std::string&, E*)) {
  if (text.empty()) return static_cast<E>(0);
  E value{};
  if (!parse(absl::AsciiStrToUpper(text), &value) || static_cast<int>(value) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": unknown value"));
  }
  return value;
}

}  // namespace

absl::StatusOr<int64_t> ParseId(absl::string_view what, absl::string_view text) {
  int64_t v = 0;
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      !absl::SimpleAtoi(text, &v) || v <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": must be a positive integer"));
  }
  return v;
}

absl::StatusOr<v1::QueryResultsRequest> ParseResultsQuery(int64_t sweep_id, const QueryParams& params) {
  static constexpr absl::string_view kAllowed[] = {"model",  "kind",  "component", "evaluation",
                                                   "metric", "layer", "page_size", "after"};
  if (absl::Status s = CheckParams(params, {std::begin(kAllowed), std::end(kAllowed)}); !s.ok()) {
    return s;
  }
  v1::QueryResultsRequest q;
  q.set_sweep_id(sweep_id);
  q.set_page_size(kDefaultResultPage);
  for (const auto& [name, value] : params) {
    if (name == "model") {
      q.set_model(value);
    } else if (name == "evaluation") {
      q.set_evaluation(value);
    } else if (name == "metric") {
      q.set_metric(value);
    } else if (name == "kind") {
      // The vocabulary's names (common/vocabulary.h), in any case.
      absl::StatusOr<v1::AblationKind> k = ParseKind(value);
      if (!k.ok()) return absl::InvalidArgumentError("kind: unknown value");
      q.set_kind(*k);
    } else if (name == "component") {
      // Names and aliases ("gdn", "mamba") as in specs and the CLI.
      absl::StatusOr<v1::Component> c = ParseComponent(value);
      if (!c.ok()) return absl::InvalidArgumentError("component: unknown value");
      q.set_component(*c);
    } else if (name == "layer") {
      int32_t layer = 0;
      if (value.empty() || value.size() > 6 || !absl::SimpleAtoi(value, &layer) || layer < 0) {
        return absl::InvalidArgumentError("layer: must be a non-negative integer");
      }
      q.set_layer(layer);
      q.set_has_layer(true);
    } else if (name == "page_size") {
      absl::StatusOr<int32_t> p = ParsePageSize(value, kDefaultResultPage, kMaxResultPage);
      if (!p.ok()) return p.status();
      q.set_page_size(*p);
    } else if (name == "after") {
      absl::StatusOr<int64_t> a = ParseCursor(value);
      if (!a.ok()) return a.status();
      q.set_after_result_id(*a);
    }
  }
  return q;
}

absl::StatusOr<v1::ListJobsRequest> ParseJobsQuery(int64_t sweep_id, const QueryParams& params) {
  static constexpr absl::string_view kAllowed[] = {"state", "page_size", "after"};
  if (absl::Status s = CheckParams(params, {std::begin(kAllowed), std::end(kAllowed)}); !s.ok()) {
    return s;
  }
  v1::ListJobsRequest q;
  q.set_sweep_id(sweep_id);
  q.set_page_size(kDefaultJobPage);
  for (const auto& [name, value] : params) {
    if (name == "state") {
      absl::StatusOr<v1::JobState> st = ParseEnum<v1::JobState>("state", value, v1::JobState_Parse);
      if (!st.ok()) return st.status();
      q.set_state(*st);
    } else if (name == "page_size") {
      absl::StatusOr<int32_t> p = ParsePageSize(value, kDefaultJobPage, kMaxJobPage);
      if (!p.ok()) return p.status();
      q.set_page_size(*p);
    } else if (name == "after") {
      absl::StatusOr<int64_t> a = ParseCursor(value);
      if (!a.ok()) return a.status();
      q.set_after_job_id(*a);
    }
  }
  return q;
}

absl::StatusOr<v1::ListSweepsRequest> ParseSweepsQuery(const QueryParams& params) {
  static constexpr absl::string_view kAllowed[] = {"include_finished"};
  if (absl::Status s = CheckParams(params, {std::begin(kAllowed), std::end(kAllowed)}); !s.ok()) {
    return s;
  }
  v1::ListSweepsRequest q;
  q.set_include_finished(true);
  for (const auto& [name, value] : params) {
    if (value == "false" || value == "0") {
      q.set_include_finished(false);
    } else if (value != "true" && value != "1" && !value.empty()) {
      return absl::InvalidArgumentError("include_finished: must be true or false");
    }
  }
  return q;
}

}  // namespace ablate::coordinator::http
