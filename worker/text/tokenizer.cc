// tokenizer.cc: Encode / Decode and the accessors (loading is in
// tokenizer_loader.cc).
#include "worker/text/tokenizer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/text/byte_level.h"
#include "worker/text/tokenizer_impl.h"
#include "worker/text/utf8.h"

namespace ablate::text {

void FinishImpl(Tokenizer::Impl* impl) {
  impl->added_by_id.clear();
  impl->added_by_content.clear();
  int32_t max_id = impl->bpe->max_id();
  const std::vector<AddedToken>& tokens = impl->added.tokens();
  for (size_t i = 0; i < tokens.size(); ++i) {
    impl->added_by_id[tokens[i].id] = i;
    impl->added_by_content[tokens[i].content] = tokens[i].id;
    max_id = std::max(max_id, tokens[i].id);
  }
  impl->vocab_size = max_id + 1;
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

absl::StatusOr<std::vector<int32_t>> Tokenizer::Encode(absl::string_view text) const {
  RETURN_IF_ERROR(ValidateUtf8(text, "text to encode"));
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  std::vector<AddedVocabulary::Piece> raw_pieces, norm_pieces;
  impl_->added.Split(text, /*normalized_pass=*/false, &raw_pieces);
  for (const AddedVocabulary::Piece& raw : raw_pieces) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    const std::string normalized = impl_->normalizer.Apply(raw.text);
    impl_->added.Split(normalized, /*normalized_pass=*/true, &norm_pieces);
    for (const AddedVocabulary::Piece& piece : norm_pieces) {
      if (piece.id >= 0) {
        ids.push_back(piece.id);
        continue;
      }
      RETURN_IF_ERROR(
          impl_->pre_tokenizer.ForEachWord(piece.text, [&](absl::string_view w) { impl_->bpe->EncodeWord(w, &ids); }));
    }
  }
  return ids;
}

absl::StatusOr<std::string> Tokenizer::Decode(absl::Span<const int32_t> ids, const DecodeOptions& options) const {
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    auto added = impl_->added_by_id.find(id);
    if (added != impl_->added_by_id.end()) {
      const AddedToken& t = impl_->added.tokens()[added->second];
      if (options.skip_special_tokens && t.special) continue;
      ByteLevelDecode(t.content, &bytes);
      continue;
    }
    const std::string* tok = impl_->bpe->IdToToken(id);
    if (tok == nullptr) {
      if (options.skip_unknown_ids) continue;
      return absl::InvalidArgumentError(
          absl::StrCat("decode: id ", id, " (position ", i, ") names no token; vocab_size is ", impl_->vocab_size));
    }
    ByteLevelDecode(*tok, &bytes);
  }
  return Utf8Lossy(bytes);
}

std::optional<int32_t> Tokenizer::token_to_id(absl::string_view token) const {
  auto a = impl_->added_by_content.find(token);
  if (a != impl_->added_by_content.end()) return a->second;
  auto v = impl_->bpe->vocab().find(token);
  if (v != impl_->bpe->vocab().end()) return v->second;
  return std::nullopt;
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  auto a = impl_->added_by_id.find(id);
  if (a != impl_->added_by_id.end()) return impl_->added.tokens()[a->second].content;
  if (const std::string* t = impl_->bpe->IdToToken(id)) return *t;
  return std::nullopt;
}

int32_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos; }
std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos; }
std::optional<int32_t> Tokenizer::pad_id() const { return impl_->pad; }

bool Tokenizer::is_special(int32_t id) const {
  auto a = impl_->added_by_id.find(id);
  return a != impl_->added_by_id.end() && impl_->added.tokens()[a->second].special;
}

const std::vector<AddedToken>& Tokenizer::added_tokens() const { return impl_->added.tokens(); }
const std::string& Tokenizer::fingerprint() const { return impl_->fingerprint; }
size_t Tokenizer::bpe_cache_size() const { return impl_->bpe->cache_size(); }
void Tokenizer::ClearBpeCache() const { impl_->bpe->ClearCache(); }

}  // namespace ablate::text
