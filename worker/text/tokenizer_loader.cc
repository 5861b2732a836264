// tokenizer_loader.cc: Tokenizer::FromFile / FromHfJson / FromVocabAndMerges.
// Every field that would change the ids is read or rejected here, by name.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"
#include "worker/text/sha256.h"
#include "worker/text/tokenizer.h"
#include "worker/text/tokenizer_impl.h"

namespace ablate::text {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

absl::Status Invalid(absl::string_view source, absl::string_view field, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, ": ", msg));
}

absl::StatusOr<json> ParseJson(absl::string_view text, absl::string_view source) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(source, ": not valid JSON"));
  return j;
}

absl::StatusOr<bool> OptBool(const json& obj, const char* key, bool dflt, absl::string_view source,
                             absl::string_view field) {
  if (!obj.contains(key) || obj[key].is_null()) return dflt;
  if (!obj[key].is_boolean()) {
    return Invalid(source, absl::StrCat(field, ".", key), "expected true or false");
  }
  return obj[key].get<bool>();
}

// Checks that an optional string field is absent, null or "".
absl::Status RequireEmptyString(const json& obj, const char* key, absl::string_view source) {
  if (!obj.contains(key) || obj[key].is_null()) return absl::OkStatus();
  if (obj[key].is_string() && obj[key].get<std::string>().empty()) return absl::OkStatus();
  return Invalid(source, absl::StrCat("model.", key),
                 absl::StrCat("unsupported ", JsonTypeOf(obj[key]), " (must be null or \"\")"));
}

absl::StatusOr<BpeModel::Merges> ParseMerges(const json& merges, absl::string_view source) {
  if (!merges.is_array()) return Invalid(source, "model.merges", "expected an array");
  BpeModel::Merges out;
  out.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
        return Invalid(source, absl::StrCat("model.merges[", i, "]"),
                       absl::StrCat("\"", s, "\" is not two tokens separated by one space"));
      }
      out.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      return Invalid(source, absl::StrCat("model.merges[", i, "]"), "expected \"a b\" or [\"a\", \"b\"]");
    }
  }
  return out;
}

absl::StatusOr<BpeModel::Vocab> ParseVocab(const json& vocab, absl::string_view source, absl::string_view field) {
  if (!vocab.is_object()) return Invalid(source, field, "expected an object {token: id}");
  BpeModel::Vocab out;
  out.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() > INT32_MAX ||
        it.value().get<int64_t>() < INT32_MIN) {
      return Invalid(source, absl::StrCat(field, "[\"", it.key(), "\"]"), "expected a 32-bit integer id");
    }
    out.emplace(it.key(), it.value().get<int32_t>());
  }
  return out;
}

absl::StatusOr<std::unique_ptr<BpeModel>> ParseModel(const json& model, absl::string_view source,
                                                     const TokenizerOptions& options) {
  if (!model.is_object()) return Invalid(source, "model", "expected an object");
  if (!model.contains("type") || !model["type"].is_string()) {
    return Invalid(source, "model.type", "missing (only \"BPE\" is supported)");
  }
  if (model["type"] != "BPE") {
    return Invalid(source, "model.type", "unsupported model type (only BPE)");
  }
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0)) {
    return Invalid(source, "model.dropout", "a non-zero BPE dropout is not supported");
  }
  ASSIGN_OR_RETURN(bool byte_fallback, OptBool(model, "byte_fallback", false, source, "model"));
  if (byte_fallback) return Invalid(source, "model.byte_fallback", "true is not supported");
  RETURN_IF_ERROR(RequireEmptyString(model, "continuing_subword_prefix", source));
  RETURN_IF_ERROR(RequireEmptyString(model, "end_of_word_suffix", source));
  if (model.contains("unk_token") && !model["unk_token"].is_null() && !model["unk_token"].is_string()) {
    return Invalid(source, "model.unk_token", "expected a string or null");
  }
  // unk_token / fuse_unk never apply: every byte has a symbol (checked by BpeModel).
  BpeModelOptions bpe_options;
  ASSIGN_OR_RETURN(bpe_options.ignore_merges, OptBool(model, "ignore_merges", false, source, "model"));
  bpe_options.cache_entries = options.bpe_cache_entries;
  if (!model.contains("vocab")) return Invalid(source, "model.vocab", "missing");
  ASSIGN_OR_RETURN(BpeModel::Vocab vocab, ParseVocab(model["vocab"], source, "model.vocab"));
  if (!model.contains("merges")) return Invalid(source, "model.merges", "missing");
  ASSIGN_OR_RETURN(BpeModel::Merges merges, ParseMerges(model["merges"], source));
  return BpeModel::Create(std::move(vocab), merges, bpe_options, source);
}

absl::StatusOr<std::vector<AddedToken>> ParseAddedTokens(const json& list, absl::string_view source) {
  std::vector<AddedToken> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return Invalid(source, "added_tokens", "expected an array");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string field = absl::StrCat("added_tokens[", i, "]");
    const json& t = list[i];
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() || !t.contains("content") ||
        !t["content"].is_string()) {
      return Invalid(source, field, "expected {\"id\": int, \"content\": string, ...}");
    }
    AddedToken a;
    a.id = t["id"].get<int32_t>();
    a.content = t["content"].get<std::string>();
    ASSIGN_OR_RETURN(a.special, OptBool(t, "special", false, source, field));
    ASSIGN_OR_RETURN(a.single_word, OptBool(t, "single_word", false, source, field));
    ASSIGN_OR_RETURN(a.lstrip, OptBool(t, "lstrip", false, source, field));
    ASSIGN_OR_RETURN(a.rstrip, OptBool(t, "rstrip", false, source, field));
    ASSIGN_OR_RETURN(a.normalized, OptBool(t, "normalized", !a.special, source, field));
    if (a.id < 0) return Invalid(source, field + ".id", "negative");
    out.push_back(std::move(a));
  }
  return out;
}

absl::Status CheckDecoder(const json& d, absl::string_view source, const std::string& field) {
  if (d.is_null()) {
    return Invalid(source, field, "null is not supported (expected a ByteLevel decoder)");
  }
  if (!d.is_object() || !d.contains("type") || !d["type"].is_string()) {
    return Invalid(source, field, "expected an object with a string \"type\"");
  }
  if (d["type"] == "ByteLevel") return absl::OkStatus();
  if (d["type"] == "Sequence" && d.contains("decoders") && d["decoders"].is_array() && d["decoders"].size() == 1) {
    return CheckDecoder(d["decoders"][0], source, field + ".decoders[0]");
  }
  return Invalid(source, field + ".type", "unsupported decoder type (only ByteLevel)");
}

// eos_token / bos_token / pad_token of a tokenizer_config.json: a string, an
// object with "content", or null.
absl::StatusOr<std::optional<int32_t>> SpecialFromConfig(const json& config, const char* key, const Tokenizer& tok,
                                                         absl::string_view source) {
  if (!config.contains(key) || config[key].is_null()) return std::optional<int32_t>();
  const json& v = config[key];
  std::string content;
  if (v.is_string()) {
    content = v.get<std::string>();
  } else if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    content = v["content"].get<std::string>();
  } else {
    return Invalid(source, key, "expected a string, {\"content\": ...} or null");
  }
  std::optional<int32_t> id = tok.token_to_id(content);
  if (!id) {
    return Invalid(source, key, absl::StrCat("\"", content, "\" is not a token of the tokenizer"));
  }
  return id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromHfJson(absl::string_view json_text, absl::string_view source,
                                                                 const TokenizerOptions& options) {
  ASSIGN_OR_RETURN(json j, ParseJson(json_text, source));
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(source, ": not an object"));
  for (const char* key : {"truncation", "padding"}) {
    if (j.contains(key) && !j[key].is_null()) {
      return Invalid(source, key, "not supported (must be null): it would change encode()");
    }
  }
  auto impl = std::make_unique<Impl>();
  if (!j.contains("model")) return Invalid(source, "model", "missing");
  ASSIGN_OR_RETURN(impl->bpe, ParseModel(j["model"], source, options));
  ASSIGN_OR_RETURN(impl->normalizer, Normalizer::FromJson(j.contains("normalizer") ? j["normalizer"] : json(), source));
  ASSIGN_OR_RETURN(impl->pre_tokenizer,
                   PreTokenizer::FromJson(j.contains("pre_tokenizer") ? j["pre_tokenizer"] : json(), source));
  RETURN_IF_ERROR(CheckDecoder(j.contains("decoder") ? j["decoder"] : json(), source, "decoder"));
  ASSIGN_OR_RETURN(std::vector<AddedToken> added,
                   ParseAddedTokens(j.contains("added_tokens") ? j["added_tokens"] : json(), source));
  impl->added = AddedVocabulary(std::move(added), impl->normalizer);
  impl->fingerprint = Sha256Hex(json_text);
  FinishImpl(impl.get());
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromVocabAndMerges(const std::string& vocab_path,
                                                                         const std::string& merges_path,
                                                                         const TokenizerOptions& options) {
  ASSIGN_OR_RETURN(std::string vocab_text, ReadFileToString(vocab_path));
  ASSIGN_OR_RETURN(std::string merges_text, ReadFileToString(merges_path));
  ASSIGN_OR_RETURN(json vocab_json, ParseJson(vocab_text, vocab_path));
  ASSIGN_OR_RETURN(BpeModel::Vocab vocab, ParseVocab(vocab_json, vocab_path, "vocabulary"));
  BpeModel::Merges merges;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(merges_text, '\n')) {
    ++line_no;
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    if (line.empty() || absl::StartsWith(line, "#version")) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(merges_path, ":", line_no, ": \"", line, "\" is not two tokens separated by a space"));
    }
    merges.emplace_back(std::string(parts[0]), std::string(parts[1]));
  }
  auto impl = std::make_unique<Impl>();
  BpeModelOptions bpe_options;
  bpe_options.cache_entries = options.bpe_cache_entries;
  std::vector<AddedToken> added;
  constexpr absl::string_view kEndOfText = "<|endoftext|>";
  auto eot = vocab.find(kEndOfText);
  if (eot != vocab.end()) {
    AddedToken t;
    t.id = eot->second;
    t.content = std::string(kEndOfText);
    t.special = true;
    added.push_back(t);
  }
  ASSIGN_OR_RETURN(
      impl->bpe, BpeModel::Create(std::move(vocab), merges, bpe_options, absl::StrCat(vocab_path, " + ", merges_path)));
  ASSIGN_OR_RETURN(impl->pre_tokenizer, PreTokenizer::ByteLevelOnly(/*add_prefix_space=*/false, /*use_regex=*/true));
  if (!added.empty()) {
    impl->eos = added[0].id;
    impl->bos = added[0].id;
  }
  impl->added = AddedVocabulary(std::move(added), impl->normalizer);
  Sha256 h;
  h.Update(vocab_text);
  h.Update(merges_text);
  impl->fingerprint = h.FinalHex();
  FinishImpl(impl.get());
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromFile(const std::string& path,
                                                               const TokenizerOptions& options) {
  std::error_code ec;
  fs::path p(path);
  if (fs::is_directory(p, ec)) {
    if (fs::exists(p / "tokenizer.json", ec)) {
      p /= "tokenizer.json";
    } else if (fs::exists(p / "vocab.json", ec) && fs::exists(p / "merges.txt", ec)) {
      return FromVocabAndMerges((p / "vocab.json").string(), (p / "merges.txt").string(), options);
    } else if (fs::exists(p / "encoder.json", ec) && fs::exists(p / "vocab.bpe", ec)) {
      return FromVocabAndMerges((p / "encoder.json").string(), (p / "vocab.bpe").string(), options);
    } else {
      return absl::NotFoundError(absl::StrCat(path, ": directory has no tokenizer.json (nor vocab.json + merges.txt)"));
    }
  }
  const std::string name = p.filename().string();
  if (name == "vocab.json" || name == "encoder.json") {
    for (const char* merges : {"merges.txt", "vocab.bpe"}) {
      fs::path m = p.parent_path() / merges;
      if (fs::exists(m, ec)) return FromVocabAndMerges(p.string(), m.string(), options);
    }
    return absl::NotFoundError(absl::StrCat(path, ": no merges.txt or vocab.bpe beside this vocabulary"));
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(p.string()));
  ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, FromHfJson(text, p.string(), options));
  fs::path config =
      options.config_path.empty() ? p.parent_path() / "tokenizer_config.json" : fs::path(options.config_path);
  if (!options.config_path.empty() || fs::exists(config, ec)) {
    ASSIGN_OR_RETURN(json cfg, ReadLenientJsonFile(config.string()));
    ASSIGN_OR_RETURN(tok->impl_->eos, SpecialFromConfig(cfg, "eos_token", *tok, config.string()));
    ASSIGN_OR_RETURN(tok->impl_->bos, SpecialFromConfig(cfg, "bos_token", *tok, config.string()));
    ASSIGN_OR_RETURN(tok->impl_->pad, SpecialFromConfig(cfg, "pad_token", *tok, config.string()));
  }
  return tok;
}

}  // namespace ablate::text
