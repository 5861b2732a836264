// bpe_model.cc: see bpe_model.h. The merge loop mirrors HF tokenizers'
// Word::merge_all: a min-heap of (rank, position) over adjacent symbol pairs;
// a popped pair is applied only if it is still present.
#include "worker/text/bpe_model.h"

#include <queue>

#include "absl/strings/str_cat.h"
#include "worker/text/byte_level.h"
#include "worker/text/utf8.h"

namespace ablate::text {
namespace {

// Words of this many bytes or more are not cached (as HF's MAX_LENGTH).
constexpr size_t kMaxCachedWordBytes = 256;

uint64_t PairKey(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::Create(Vocab vocab, const Merges& merges,
                                                           const BpeModelOptions& options, absl::string_view source) {
  std::unique_ptr<BpeModel> m(new BpeModel());
  m->options_ = options;
  int32_t max_id = -1;
  for (const auto& [tok, id] : vocab) {
    if (id < 0) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model.vocab: negative id ", id));
    }
    max_id = std::max(max_id, id);
  }
  // Ids index a table: bound it by the vocabulary's size (HF vocabularies are
  // dense; some slack for gaps) before allocating. Found by tokenizer_fuzz: one
  // id of 2e9 asked for ~48 GB.
  const int64_t max_allowed = 2 * static_cast<int64_t>(vocab.size()) + 65536;
  if (max_id > max_allowed) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": model.vocab: id ", max_id,
                                                   " is far beyond the vocabulary's ", vocab.size(),
                                                   " entries (ids must be dense)"));
  }
  m->id_to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  m->id_present_.assign(static_cast<size_t>(max_id + 1), false);
  for (const auto& [tok, id] : vocab) {
    if (m->id_present_[id]) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model.vocab: id ", id, " is used by two tokens"));
    }
    m->id_to_token_[id] = tok;
    m->id_present_[id] = true;
  }
  for (int b = 0; b < 256; ++b) {
    std::string ch;
    AppendUtf8(ByteToCodePoint(static_cast<uint8_t>(b)), &ch);
    auto it = vocab.find(ch);
    if (it == vocab.end()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model.vocab: byte 0x", absl::Hex(b, absl::kZeroPad2),
                                                     " (\"", ch,
                                                     "\") is missing; a byte-level BPE needs all 256 byte symbols"));
    }
    m->byte_ids_[b] = it->second;
  }
  m->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = vocab.find(a);
    auto ib = vocab.find(b);
    if (ia == vocab.end() || ib == vocab.end()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model.merges[", rank, "]: \"", a, " ", b,
                                                     "\" names a token missing from model.vocab"));
    }
    auto inew = vocab.find(a + b);
    if (inew == vocab.end()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model.merges[", rank, "]: \"", a, " ", b,
                                                     "\": the merged token \"", a + b,
                                                     "\" is missing from model.vocab"));
    }
    // As HF (collecting into a map), a repeated pair keeps its last rank.
    m->merges_[PairKey(ia->second, ib->second)] = {static_cast<int32_t>(rank), inew->second};
  }
  m->vocab_ = std::move(vocab);
  return m;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || !id_present_[id]) return nullptr;
  return &id_to_token_[id];
}

void BpeModel::EncodeWord(absl::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  const bool cacheable = options_.cache_entries > 0 && word.size() < kMaxCachedWordBytes;
  if (cacheable) {
    absl::ReaderMutexLock lock(&mu_);
    auto it = cache_.find(word);
    if (it != cache_.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t start = ids->size();
  Merge(word, ids);
  if (cacheable) {
    absl::MutexLock lock(&mu_);
    if (cache_.size() < options_.cache_entries) {
      cache_.try_emplace(word, ids->begin() + start, ids->end());
    }
  }
}

void BpeModel::Merge(absl::string_view word, std::vector<int32_t>* ids) const {
  if (options_.ignore_merges) {
    auto it = vocab_.find(ByteLevelEncode(word));
    if (it != vocab_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  const int32_t n = static_cast<int32_t>(word.size());
  if (n == 1) {
    ids->push_back(byte_ids_[static_cast<uint8_t>(word[0])]);
    return;
  }
  struct Symbol {
    int32_t id, prev, next;
    bool alive;
  };
  std::vector<Symbol> sym(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    sym[i] = {byte_ids_[static_cast<uint8_t>(word[i])], i - 1, i + 1 < n ? i + 1 : -1, true};
  }
  struct Cand {
    int32_t rank, pos, new_id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push_pair = [&](int32_t pos) {
    const int32_t next = sym[pos].next;
    if (next < 0) return;
    auto it = merges_.find(PairKey(sym[pos].id, sym[next].id));
    if (it != merges_.end()) heap.push({it->second.first, pos, it->second.second});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push_pair(i);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    Symbol& left = sym[c.pos];
    if (!left.alive || left.next < 0) continue;
    const int32_t right_pos = left.next;
    auto it = merges_.find(PairKey(left.id, sym[right_pos].id));
    if (it == merges_.end() || it->second.second != c.new_id) continue;  // stale
    left.id = c.new_id;
    sym[right_pos].alive = false;
    left.next = sym[right_pos].next;
    if (left.next >= 0) sym[left.next].prev = c.pos;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(c.pos);
  }
  for (int32_t i = 0; i >= 0; i = sym[i].next) ids->push_back(sym[i].id);
}

size_t BpeModel::cache_size() const {
  absl::MutexLock lock(&mu_);
  return cache_.size();
}

void BpeModel::ClearCache() const {
  absl::MutexLock lock(&mu_);
  cache_.clear();
}

}  // namespace ablate::text
