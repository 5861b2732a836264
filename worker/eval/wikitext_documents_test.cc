// wikitext_documents_test.cc: the WikiText document splitter and detokenizer against
// worker/eval/testdata/wikitext_reference.py (lm-eval's code written out in
// Python) on a committed sample with the awkward cases, and on the real
// WikiText-2 test file when shared/data has it. Word and byte counts are
// checked the same way. Values the reference printed for the sample are
// pinned, so the test checks something without a python3 as well.
#include "worker/eval/wikitext_documents.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/shared_data.h"
#include "worker/eval/perplexity_metrics.h"

namespace ablate::eval {
namespace {

using json = nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kSample = std::string(ABLATE_SOURCE_DIR) + "/worker/eval/testdata/wikitext_sample.raw";

// The reference's JSON for `path`, or null when no /usr/bin/python3 runs it.
json Reference(const std::string& path) {
  const std::string cmd = std::string("/usr/bin/python3 ") + ABLATE_SOURCE_DIR +
                          "/worker/eval/testdata/wikitext_reference.py '" + path + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  if (p != nullptr) {
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    if (pclose(p) != 0) out.clear();
  }
  return out.empty() ? json() : json::parse(out);
}

void ExpectSameAsReference(const std::string& path) {
  const json ref = Reference(path);
  if (ref.is_null()) GTEST_SKIP() << "no /usr/bin/python3: the reference cannot run";
  const std::vector<WikiTextDocument> docs = WikiTextDocuments(ReadFile(path));
  ASSERT_EQ(docs.size(), ref.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_EQ(docs[i].detokenized, ref[i]["detokenized"].get<std::string>()) << "document " << i;
    EXPECT_EQ(docs[i].words, ref[i]["words"].get<int64_t>()) << "document " << i;
    EXPECT_EQ(docs[i].bytes, ref[i]["bytes"].get<int64_t>()) << "document " << i;
  }
}

TEST(WikiText, SampleMatchesPinnedReferenceValues) {
  const std::vector<std::string> docs = SplitWikiTextDocuments(ReadFile(kSample));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(CountWords(docs[0]), 89);
  EXPECT_EQ(CountWords(docs[1]), 22);
  EXPECT_EQ(CountWords(docs[2]), 7);
  EXPECT_EQ(docs[0].size(), 328u);
  EXPECT_EQ(docs[1].size(), 86u);
  EXPECT_EQ(docs[2].size(), 25u);
  EXPECT_EQ(DetokenizeWikiText(docs[1]),
            " = Beta =\nSecond page with ' odd quote only.\n== Not a title ==\n\t tabbed\x1c line ");
  EXPECT_EQ(DetokenizeWikiText(docs[2]), " = Gamma =\n\nlast words\n");
  EXPECT_EQ(DetokenizeWikiText(docs[0]),
            " = Alpha Page =\n\nThe cat \u00a0 sat (on the mat), and [it] said \"hello there\".\n"
            "He said 'yes'; the dogs'bowls were 3,000.5 km long's.\n\n== Section ==\n\n"
            "Temperature of 20\u00b0C, 1 of them! Why? {braces} /'[0-9]/ ok: fine\n=== Deep ===\n"
            "The ( unclosed paren and \"a quote\nspanning lines\" end ");
}

TEST(WikiText, SampleAgreesWithThePythonReference) { ExpectSameAsReference(kSample); }

TEST(WikiText, WikiText2TestAgreesWithThePythonReference) {
  ABLATE_REQUIRE_SHARED("data/wikitext-2/wiki.test.raw");
  const std::string path = testing::SharedPath("data/wikitext-2/wiki.test.raw");
  // lm-eval's wikitext test split has 62 documents.
  EXPECT_EQ(WikiTextDocuments(ReadFile(path)).size(), 62u);
  ExpectSameAsReference(path);
}

TEST(WikiText, SplitsOnlyOnSingleEqualsTitles) {
  EXPECT_THAT(SplitWikiTextDocuments(" = A = \n x \n = = B = = \n y \n = C = \n z"),
              ::testing::ElementsAre(" = A = \n x \n = = B = = \n y ", " = C = \n z"));
  // Blank text before the first title is dropped; the last page always stays.
  EXPECT_THAT(SplitWikiTextDocuments(" \n = A = \n"), ::testing::ElementsAre(" = A = \n"));
  EXPECT_THAT(SplitWikiTextDocuments(""), ::testing::ElementsAre(""));
}

}  // namespace
}  // namespace ablate::eval
