// vocabulary.cc: the tables (see vocabulary.h). Adding a value to a vocabulary
// is one row here (plus, for a family, its config parsing and wiring).
#include "common/vocabulary.h"

#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ablate {
namespace {

constexpr ComponentEntry kComponents[] = {
    {v1::ATTENTION, "attention", {"attn", "full_attention", ""}, "attention"},
    {v1::LINEAR_ATTENTION,
     "linear_attention",
     {"gdn", "deltanet", "gated_deltanet"},
     "Gated DeltaNet (linear attention)"},
    {v1::SSM, "ssm", {"mamba", "mamba2", ""}, "Mamba-2 SSM"},
    {v1::MLP, "mlp", {"ffn", "feed_forward", ""}, "MLP"},
    {v1::LAYER, "layer", {"", "", ""}, "whole layer"},
};

constexpr KindEntry kKinds[] = {
    {v1::BASELINE, "baseline", "no ablation"},
    {v1::GROUP, "group", "every layer's component at once"},
    {v1::LAYER_SWEEP, "layer_sweep", "one layer at a time"},
    {v1::POSITIONAL, "positional", "early / middle / late ranges"},
    {v1::PROGRESSIVE, "progressive", "the first or last N layers"},
    {v1::RANDOM, "random", "matched random layers"},
    {v1::EXPLICIT, "explicit", "explicit targets"},
};

constexpr ModeEntry kModes[] = {
    {v1::SKIP_LAYER, "skip_layer", {"skip"}, "skip the whole layer"},
    {v1::ZERO, "zero", {""}, "zero the branch"},
    {v1::SCALE, "scale", {""}, "scale the branch"},
};

// "a, b or c".
template <typename Entries>
std::string OrList(const Entries& entries) {
  std::string out;
  const size_t n = std::size(entries);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += (i + 1 == n) ? " or " : ", ";
    absl::StrAppend(&out, entries[i].name);
  }
  return out;
}

template <typename Entry>
const Entry* FindByName(absl::Span<const Entry> entries, absl::string_view name) {
  for (const Entry& e : entries) {
    if (absl::EqualsIgnoreCase(e.name, name)) return &e;
  }
  return nullptr;
}

template <typename Entry>
const Entry* FindByNameOrAlias(absl::Span<const Entry> entries, absl::string_view name) {
  if (const Entry* e = FindByName(entries, name)) return e;
  for (const Entry& e : entries) {
    for (absl::string_view a : e.aliases) {
      if (!a.empty() && absl::EqualsIgnoreCase(a, name)) return &e;
    }
  }
  return nullptr;
}

template <typename Entry, typename Value>
const Entry* FindByValue(absl::Span<const Entry> entries, Value v) {
  for (const Entry& e : entries) {
    if (e.value == v) return &e;
  }
  return nullptr;
}

template <typename Entry>
std::string SqlCase(absl::Span<const Entry> entries, absl::string_view column) {
  std::string out = absl::StrCat("CASE ", column);
  // Names are lower-case identifiers (vocabulary_test checks), safe inside '...'.
  for (const Entry& e : entries) absl::StrAppend(&out, " WHEN ", static_cast<int>(e.value), " THEN '", e.name, "'");
  return absl::StrCat(out, " ELSE '' END");
}

}  // namespace

absl::Span<const ComponentEntry> Components() { return kComponents; }

absl::string_view ComponentName(v1::Component c) {
  const ComponentEntry* e = FindByValue(Components(), c);
  return e == nullptr ? "unspecified" : e->name;
}

absl::string_view ComponentNameOrEmpty(v1::Component c) {
  const ComponentEntry* e = FindByValue(Components(), c);
  return e == nullptr ? "" : e->name;
}

absl::StatusOr<v1::Component> ParseComponent(absl::string_view name) {
  if (const ComponentEntry* e = FindByNameOrAlias(Components(), name)) return e->value;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown component '", name, "' (expected ", ComponentNameList(), ")"));
}

std::string ComponentNameList() { return OrList(kComponents); }

absl::Span<const KindEntry> Kinds() { return kKinds; }

absl::string_view KindName(v1::AblationKind k) {
  const KindEntry* e = FindByValue(Kinds(), k);
  return e == nullptr ? "" : e->name;
}

absl::StatusOr<v1::AblationKind> ParseKind(absl::string_view name) {
  if (const KindEntry* e = FindByName(Kinds(), name)) return e->value;
  return absl::InvalidArgumentError(absl::StrCat("unknown kind '", name, "' (expected ", KindNameList(), ")"));
}

std::string KindNameList() { return OrList(kKinds); }

absl::Span<const ModeEntry> Modes() { return kModes; }

absl::string_view ModeName(v1::AblationMode m) {
  const ModeEntry* e = FindByValue(Modes(), m);
  return e == nullptr ? "" : e->name;
}

absl::StatusOr<v1::AblationMode> ParseMode(absl::string_view name) {
  if (const ModeEntry* e = FindByNameOrAlias(Modes(), name)) return e->value;
  return absl::InvalidArgumentError(absl::StrCat("unknown mode '", name, "' (expected ", ModeNameList(), ")"));
}

std::string ModeNameList() { return OrList(kModes); }

std::string ComponentNameSql(absl::string_view column) { return SqlCase(Components(), column); }

std::string KindNameSql(absl::string_view column) { return SqlCase(Kinds(), column); }

}  // namespace ablate
