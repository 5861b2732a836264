// python_random_test.cc: PythonRandom against CPython's `random` and the
// LM_EVAL few-shot sampler against lm-eval's loop, both from
// worker/text/testdata/lm_eval_fewshot_reference.py: values it printed are
// pinned here, and when a python3 is installed the test also runs it and
// compares every value it prints.
#include "worker/text/python_random.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "worker/text/fewshot.h"

namespace ablate::text {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using json = nlohmann::json;

const std::vector<std::pair<size_t, size_t>> kSampleCases = {{10, 4},  {5, 5},     {26, 3}, {30, 6},
                                                             {100, 8}, {1000, 25}, {7, 0},  {1 << 20, 3}};
const std::vector<int> kBits = {1, 5, 31, 32, 33, 40, 63, 64};
const std::vector<uint64_t> kBelow = {1, 2, 3, 7, 10, 1000, (1ULL << 32) + 3, (1ULL << 40) - 1};

std::vector<McDoc> PoolDocs(int n) {
  std::vector<McDoc> docs(n);
  for (int i = 0; i < n; ++i) {
    docs[i].query = absl::StrCat("question ", i);
    docs[i].targets = {"a", "b", "c", "d"};
    docs[i].gold = i % 4;
  }
  return docs;
}

std::vector<std::vector<size_t>> LmEval(const std::vector<McDoc>& pool, const std::vector<McDoc>& docs, size_t k,
                                        bool same_split, uint64_t seed) {
  PythonRandom rnd(seed);
  std::vector<std::vector<size_t>> out;
  for (const McDoc& d : docs) out.push_back(LmEvalShots(pool, k, same_split, d, &rnd));
  return out;
}

TEST(PythonRandom, MatchesCPythonsGenerator) {
  std::vector<uint32_t> got;
  PythonRandom r1234(1234);
  for (int i = 0; i < 5; ++i) got.push_back(r1234.NextUint32());
  EXPECT_THAT(got, ElementsAre(4150886329u, 3342196574u, 1892932127u, 501869158u, 32175636u));
  PythonRandom r0(0);
  EXPECT_EQ(r0.NextUint32(), 3626764237u);  // random.Random(0): the one-word key [0]
  PythonRandom big((1ULL << 63) + 11);      // a two-word key
  EXPECT_EQ(big.NextUint32(), 1560446067u);
  PythonRandom bits(1234);
  std::vector<uint64_t> b;
  for (int k : kBits) b.push_back(bits.GetRandBits(k));
  EXPECT_THAT(b, ElementsAre(1u, 24u, 946466063u, 501869158u, 32175636u, 1038999730288ULL, 7443283460211601105ULL,
                             644274044980223449ULL));
  PythonRandom below(1234);
  std::vector<uint64_t> w;
  for (uint64_t n : kBelow) w.push_back(below.RandBelow(n));
  EXPECT_THAT(w, ElementsAre(0u, 0u, 0u, 0u, 9u, 35u, 360511942u, 389839067190ULL));
}

TEST(PythonRandom, SampleUsesBothOfCPythonsStrategies) {
  PythonRandom r(1234);
  std::vector<std::vector<size_t>> got;
  for (const auto& [n, k] : kSampleCases) got.push_back(r.Sample(n, k));
  EXPECT_THAT(got[0], ElementsAre(7, 1, 0, 9));                      // pool (n <= 21)
  EXPECT_THAT(got[3], ElementsAre(0, 29, 25, 28, 11, 20));           // pool: 30 <= 21 + 4^ceil(log4(18)) = 85
  EXPECT_THAT(got[4], ElementsAre(79, 61, 78, 59, 19, 11, 23, 91));  // a set: 100 > 85
  EXPECT_TRUE(got[6].empty());
  EXPECT_THAT(got[7], ElementsAre(634239, 1008806, 744990));
}

TEST(LmEvalShots, MatchLmEvalsLoopOnTheSameAndAnotherSplit) {
  const std::vector<McDoc> pool = PoolDocs(12);
  const std::vector<McDoc> first6(pool.begin(), pool.begin() + 6);
  // The evaluated file is the pool: k + 1 drawn, the document itself dropped.
  EXPECT_EQ(LmEval(pool, first6, 3, true, 1234),
            (std::vector<std::vector<size_t>>{{7, 1, 10}, {9, 0, 11}, {5, 3, 0}, {0, 5, 9}, {9, 7, 2}, {2, 1, 0}}));
  const std::vector<McDoc> all17 = PoolDocs(17);
  const std::vector<McDoc> others(all17.begin() + 12, all17.end());
  EXPECT_EQ(LmEval(pool, others, 4, false, 1234),
            (std::vector<std::vector<size_t>>{{7, 1, 0, 10}, {9, 0, 1, 11}, {5, 3, 0, 9}, {0, 5, 9, 7}, {9, 7, 2, 1}}));
}

// Every value the reference prints, from the interpreter itself.
TEST(PythonRandom, AgreesWithTheInstalledPython) {
  const std::string cmd = std::string("/usr/bin/python3 ") + ABLATE_SOURCE_DIR +
                          "/worker/text/testdata/lm_eval_fewshot_reference.py --json 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  if (p != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    if (pclose(p) != 0) out.clear();
  }
  if (out.empty()) GTEST_SKIP() << "no /usr/bin/python3: only the pinned values are checked";
  const json ref = json::parse(out);
  for (const auto& [seed_text, values] : ref["raw"].items()) {
    PythonRandom r(std::stoull(seed_text));
    for (const auto& v : values) EXPECT_EQ(r.NextUint32(), v.get<uint32_t>()) << "seed " << seed_text;
  }
  {
    PythonRandom r(1234);
    for (size_t i = 0; i < kBits.size(); ++i) EXPECT_EQ(r.GetRandBits(kBits[i]), ref["bits"][i].get<uint64_t>());
  }
  {
    PythonRandom r(1234);
    for (size_t i = 0; i < kBelow.size(); ++i) EXPECT_EQ(r.RandBelow(kBelow[i]), ref["below"][i].get<uint64_t>());
  }
  for (const auto& [seed_text, cases] : ref["samples"].items()) {
    PythonRandom r(std::stoull(seed_text));
    for (size_t i = 0; i < kSampleCases.size(); ++i) {
      EXPECT_THAT(r.Sample(kSampleCases[i].first, kSampleCases[i].second),
                  ElementsAreArray(cases[i].get<std::vector<size_t>>()))
          << "seed " << seed_text << " case " << i;
    }
  }
  const std::vector<McDoc> pool = PoolDocs(12);
  EXPECT_EQ(LmEval(pool, {pool.begin(), pool.begin() + 6}, 3, true, 1234),
            ref["lm_eval_same_split"].get<std::vector<std::vector<size_t>>>());
}

}  // namespace
}  // namespace ablate::text
