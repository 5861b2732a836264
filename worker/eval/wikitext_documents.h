// wikitext_documents.h: lm-evaluation-harness's `wikitext` task text handling, for the
// DOCUMENTS perplexity protocol (worker/eval/perplexity_eval.cc):
//
//   SplitWikiTextDocuments  the `EleutherAI/wikitext_document_level` loader:
//                           the file's lines are grouped into articles, a new
//                           one starting at every ` = Title = ` line (a single
//                           `=` on each side; `= = Section = =` does not split).
//   DetokenizeWikiText      lm-eval's `wikitext_detokenizer`: the same string
//                           replacements and bracket/quote regexes, in the
//                           same order, so the scored text is byte-identical.
//
//   WikiTextDocuments       both, with lm-eval's word and UTF-8 byte counts,
//                           taken on the page *before* detokenization (as
//                           lm-eval's process_results does).
//
// Checked against worker/eval/testdata/wikitext_reference.py. No LibTorch.
// Pure functions; thread-safe.
//
//   for (const WikiTextDocument& d : WikiTextDocuments(corpus.text)) {
//     Score(d.detokenized); totals.words += d.words; totals.bytes += d.bytes;
//   }
#ifndef ABLATE_WORKER_EVAL_WIKITEXT_DOCUMENTS_H_
#define ABLATE_WORKER_EVAL_WIKITEXT_DOCUMENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ablate::eval {

// The documents of a wiki.*.raw file, each its lines joined by "\n" (Python
// universal newlines first: "\r\n" and "\r" read as "\n"). Lines before the
// first title that are only whitespace are dropped, as lm-eval's loader does;
// the last document is always returned, even if blank. REQUIRES: valid UTF-8.
std::vector<std::string> SplitWikiTextDocuments(absl::string_view file_text);

// lm-eval's wikitext_detokenizer(page). REQUIRES: valid UTF-8.
std::string DetokenizeWikiText(absl::string_view page);

struct WikiTextDocument {
  std::string detokenized;  // the text lm-eval scores
  int64_t words = 0;        // len(re.split(r"\s+", page)), page before detokenization
  int64_t bytes = 0;        // len(page.encode("utf-8"))
};

// SplitWikiTextDocuments + DetokenizeWikiText + the counts, in file order.
std::vector<WikiTextDocument> WikiTextDocuments(absl::string_view file_text);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_WIKITEXT_DOCUMENTS_H_
