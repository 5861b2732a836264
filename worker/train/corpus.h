// corpus.h: a plain-text training corpus built from fortune(6) databases
// (Debian package `fortunes`: /usr/share/games/fortunes), with a
// deterministic held-out split.
//
// A fortune database is a text file whose entries are separated by lines
// holding only "%" (with a binary index "<name>.dat" beside it). We read every
// database in the directory (files X with an X.dat beside them), sorted by
// name, so the corpus depends only on the installed package versions. Each
// entry is cleaned (trailing whitespace of every line removed, leading and
// trailing blank lines dropped, empty entries skipped); entry i (0-based,
// counted over the whole corpus) goes to the held-out split when
// i % heldout_every == heldout_every - 1, otherwise to the training split.
// A split's text is its entries joined by one blank line, ending in "\n":
// the same format for training and for evaluation files.
//
// Thread-safety: free functions, no shared state.
//
//   ASSIGN_OR_RETURN(FortuneCorpus c, ReadFortuneCorpus("/usr/share/games/fortunes", {}));
//   c.train_text;  // "A day for firm decisions!!!!!  Or is it?\n\nA few hours ...\n"
#ifndef ABLATE_WORKER_TRAIN_CORPUS_H_
#define ABLATE_WORKER_TRAIN_CORPUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::train {

struct CorpusOptions {
  // Every heldout_every-th entry is held out (20: 5% held out). >= 2.
  int64_t heldout_every = 20;
};

struct FortuneCorpus {
  std::vector<std::string> files;  // database names read, sorted ("art", "computers", ...)
  int64_t num_entries = 0;         // after cleaning
  int64_t num_train_entries = 0;
  int64_t num_heldout_entries = 0;
  std::vector<std::string> heldout_entries;
  std::string all_text;  // every entry, in order (what all_sha256 covers)
  std::string train_text;
  std::string heldout_text;
  std::string all_sha256;  // lowercase hex of all_text
  std::string train_sha256;
  std::string heldout_sha256;
};

// Splits the content of one database into cleaned, non-empty entries.
std::vector<std::string> SplitFortunes(absl::string_view content);

// Joins entries as a split's text: "e1\n\ne2\n...\n" ("" for no entries).
std::string JoinEntries(const std::vector<std::string>& entries);

// Reads every database in `dir`. NotFound when `dir` has none; InvalidArgument
// (naming the file) when a database is not valid UTF-8.
absl::StatusOr<FortuneCorpus> ReadFortuneCorpus(const std::string& dir, const CorpusOptions& options);

// JoinEntries of the longest run of leading entries whose text is at most
// `max_bytes` long (at least one entry, even if longer).
std::string JoinEntryPrefix(const std::vector<std::string>& entries, size_t max_bytes);

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_CORPUS_H_
