// added_vocabulary.cc: see added_vocabulary.h.
#include "worker/text/added_vocabulary.h"

#include <algorithm>

#include "worker/text/utf8.h"

namespace ablate::text {

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer& normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    if (t.content.empty()) continue;
    PatternSet& set = t.normalized ? normalized_ : raw_;
    std::string text = t.normalized ? normalizer.Apply(t.content) : t.content;
    if (text.empty()) continue;
    set.by_first_byte[static_cast<unsigned char>(text[0])].push_back({std::move(text), i});
    set.empty = false;
  }
  for (PatternSet* set : {&raw_, &normalized_}) {
    for (auto& [byte, list] : set->by_first_byte) {
      // Longest first; among equal lengths the earlier token (as the
      // Aho-Corasick automaton, which prefers the earlier pattern).
      std::stable_sort(list.begin(), list.end(),
                       [](const Pattern& a, const Pattern& b) { return a.text.size() > b.text.size(); });
    }
  }
}

void AddedVocabulary::FindLeftmostLongest(const PatternSet& set, absl::string_view text, size_t from, size_t* begin,
                                          size_t* end, size_t* token) const {
  for (size_t i = from; i < text.size(); ++i) {
    auto it = set.by_first_byte.find(static_cast<unsigned char>(text[i]));
    if (it == set.by_first_byte.end()) continue;
    for (const Pattern& p : it->second) {
      if (text.compare(i, p.text.size(), p.text) == 0 && i + p.text.size() <= text.size()) {
        *begin = i;
        *end = i + p.text.size();
        *token = p.token;
        return;
      }
    }
  }
  *begin = *end = text.size();
  *token = tokens_.size();
}

void AddedVocabulary::Split(absl::string_view text, bool normalized_pass, std::vector<Piece>* pieces) const {
  pieces->clear();
  const PatternSet& set = normalized_pass ? normalized_ : raw_;
  if (set.empty || text.empty()) {
    pieces->push_back({text, -1});
    return;
  }
  size_t start_offset = 0;  // end of the previous emitted match
  size_t search = 0;        // where the automaton resumes (after the raw match)
  while (search < text.size()) {
    size_t b, e, ti;
    FindLeftmostLongest(set, text, search, &b, &e, &ti);
    if (ti == tokens_.size()) break;
    search = e;
    const AddedToken& tok = tokens_[ti];
    size_t start = b, stop = e;
    if (tok.single_word) {
      bool start_space = true, stop_space = true;
      if (start > 0) {
        size_t s;
        start_space = !IsWordChar(PrevCodePoint(text, start, &s));
      }
      if (stop < text.size()) {
        size_t p = stop;
        stop_space = !IsWordChar(NextCodePoint(text, &p));
      }
      if (!start_space || !stop_space) continue;
    }
    if (tok.lstrip) {
      size_t newstart = start;
      while (newstart > 0) {
        size_t s;
        if (!IsWhiteSpace(PrevCodePoint(text, newstart, &s))) break;
        newstart = s;
      }
      start = std::max(newstart, start_offset);
    }
    if (tok.rstrip) {
      size_t p = stop;
      while (p < text.size()) {
        size_t q = p;
        if (!IsWhiteSpace(NextCodePoint(text, &q))) break;
        p = q;
      }
      stop = p;
    }
    if (start_offset < start) pieces->push_back({text.substr(start_offset, start - start_offset), -1});
    pieces->push_back({text.substr(start, stop - start), tok.id});
    start_offset = stop;
  }
  if (start_offset < text.size()) {
    pieces->push_back({text.substr(start_offset), -1});
  }
}

}  // namespace ablate::text
