// dataset_test.cc: the dataset readers on the real files in shared/data
// (skipped when absent) and on small malformed fixtures written to temp files.
#include "worker/text/dataset.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/shared_data.h"
#include "tests/testing/status_matchers.h"
#include "worker/text/fewshot.h"
#include "worker/text/mc_readers.h"

namespace ablate::text {
namespace {

using ::ablate::testing::SharedPath;
using ::ablate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kEvals[] = "data/evals";

v1::MultipleChoiceEval Mc(v1::MultipleChoiceTask task, const std::string& path, const std::string& fewshot = "",
                          int k = 0, int limit = 0, uint64_t seed = 1234) {
  v1::MultipleChoiceEval e;
  e.set_task(task);
  e.set_path(path);
  e.set_fewshot_path(fewshot);
  e.set_num_fewshot(k);
  e.set_limit(limit);
  e.set_seed(seed);
  return e;
}

// Writes `contents` to a fresh temp file named `name` and returns its path.
std::string TempFile(const std::string& name, const std::string& contents) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// ---- shot selection ----

TEST(FewShot, SplitMix64IsTheReferenceGenerator) {
  SplitMix64 rng(0);
  EXPECT_EQ(rng.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.Next(), 0x6e789e6aa1b965f4ULL);
}

TEST(FewShot, DrawsAreDistinctDeterministicAndSkipTheItem) {
  SplitMix64 a(ShotSeed(7, 3)), b(ShotSeed(7, 3));
  const auto x = DrawShots(10, 9, size_t{4}, &a);
  EXPECT_EQ(x, DrawShots(10, 9, size_t{4}, &b));
  std::vector<size_t> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<size_t>{0, 1, 2, 3, 5, 6, 7, 8, 9}));
}

// ---- real files ----

TEST(RealData, WikiTextCorpus) {
  ABLATE_REQUIRE_SHARED("data/wikitext-2/wiki.test.raw");
  auto c = LoadTextCorpus(SharedPath("data/wikitext-2/wiki.test.raw"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->text.size(), 1290590u);
  EXPECT_THAT(c->text, StartsWith(" \n = Robert Boulter = \n"));
  ASSERT_EQ(c->fingerprint.files.size(), 1u);
  EXPECT_EQ(c->fingerprint.files[0].sha256, "173c87a53759e0201f33e0ccf978e510c2042d7f2cb78229d9a50d79b9e7dd08");
  EXPECT_EQ(c->fingerprint.combined_sha256.size(), 64u);
}

TEST(RealData, Mmlu5Shot) {
  ABLATE_REQUIRE_SHARED("data/evals/mmlu/test");
  const std::string dir = SharedPath(kEvals);
  auto ds = LoadMultipleChoice(Mc(v1::MMLU, dir + "/mmlu/test", dir + "/mmlu/dev", 5));
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->items.size(), 14042u);
  EXPECT_EQ(ds->fingerprint.files.size(), 114u);
  const MultipleChoiceItem& first = ds->items[0];
  EXPECT_EQ(first.group, "abstract_algebra");
  ASSERT_EQ(first.choices.size(), 4u);
  EXPECT_EQ(first.choices[1].continuation, " B");
  const std::string& ctx = first.choices[0].context;
  EXPECT_THAT(ctx, StartsWith("The following are multiple choice questions (with answers) about "
                              "abstract algebra.\n\nFind all c in Z_3 such that Z_3[x]/(x^2 + c) "
                              "is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n"));
  EXPECT_THAT(ctx, EndsWith("\nAnswer:"));
  // Every choice shares the context; 5 shots means 5 "Answer: X" lines before the question.
  size_t answers = 0;
  for (size_t p = ctx.find("\nAnswer: "); p != std::string::npos; p = ctx.find("\nAnswer: ", p + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 5u);
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::MMLU, dir + "/mmlu")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("mmlu/test")));
  // Zero-shot keeps the description; limit keeps the first items.
  auto zero = LoadMultipleChoice(Mc(v1::MMLU, dir + "/mmlu/test/anatomy_test.csv", "", 0, 3));
  ASSERT_TRUE(zero.ok()) << zero.status();
  ASSERT_EQ(zero->items.size(), 3u);
  EXPECT_THAT(zero->items[0].choices[0].context,
              StartsWith("The following are multiple choice questions (with answers) about "
                         "anatomy.\n\n"));
}

// The LM_EVAL sampler end to end: the shots in each prompt are the pool
// documents lm-eval's loop picks (one generator for the whole evaluation, in
// document order), seed 0 is lm-eval's 1234, and limit keeps earlier items'.
TEST(RealData, LmEvalSamplerPicksLmEvalsShots) {
  ABLATE_REQUIRE_SHARED("data/evals/arc_challenge/ARC-Challenge-Dev.jsonl");
  const std::string dir = SharedPath(kEvals);
  const std::string test = dir + "/arc_challenge/ARC-Challenge-Dev.jsonl";
  const std::string train = dir + "/arc_challenge/ARC-Challenge-Train.jsonl";
  v1::MultipleChoiceEval spec = Mc(v1::ARC_CHALLENGE, test, train, 3, 4, 0);
  spec.set_fewshot_sampler(v1::LM_EVAL);
  auto ds = LoadMultipleChoice(spec);
  ASSERT_TRUE(ds.ok()) << ds.status();
  std::vector<FileFingerprint> files;
  auto pool = ReadMcDocs(v1::ARC_CHALLENGE, train, &files);
  auto docs = ReadMcDocs(v1::ARC_CHALLENGE, test, &files);
  ASSERT_TRUE(pool.ok() && docs.ok());
  PythonRandom rnd(kLmEvalFewshotSeed);
  for (size_t i = 0; i < 4; ++i) {
    std::vector<const McDoc*> shots;
    for (size_t s : LmEvalShots(*pool, 3, false, (*docs)[i], &rnd)) shots.push_back(&(*pool)[s]);
    ASSERT_EQ(shots.size(), 3u);
    EXPECT_EQ(ds->items[i].choices[0].context, FewShotPrefix("", shots) + (*docs)[i].query) << i;
  }
  spec.set_seed(1234);
  spec.set_limit(2);
  auto same = LoadMultipleChoice(spec);
  ASSERT_TRUE(same.ok());
  ASSERT_EQ(same->items.size(), 2u);
  EXPECT_EQ(same->items[1].choices[0].context, ds->items[1].choices[0].context);
  // PER_ITEM (and a spec that names no sampler, as stored before) draws otherwise.
  spec.set_fewshot_sampler(v1::PER_ITEM);
  auto per_item = LoadMultipleChoice(spec);
  ASSERT_TRUE(per_item.ok());
  EXPECT_NE(per_item->items[1].choices[0].context, ds->items[1].choices[0].context);
}

TEST(RealData, ArcBothLayouts) {
  ABLATE_REQUIRE_SHARED("data/evals/arc_challenge/ARC-Challenge-Dev.jsonl");
  const std::string dir = SharedPath(kEvals);
  auto ai2 = LoadMultipleChoice(Mc(v1::ARC_CHALLENGE, dir + "/arc_challenge/ARC-Challenge-Dev.jsonl",
                                   dir + "/arc_challenge/ARC-Challenge-Train.jsonl", 25));
  ASSERT_TRUE(ai2.ok()) << ai2.status();
  EXPECT_EQ(ai2->items.size(), 299u);
  EXPECT_EQ(ai2->items[0].id, "Mercury_SC_407695");
  EXPECT_EQ(ai2->items[0].gold, 3);
  EXPECT_EQ(ai2->items[0].choices[3].continuation, " Record the details of the investigation.");
  EXPECT_THAT(ai2->items[0].choices[0].context,
              EndsWith("\n\nQuestion: Juan and LaKeisha roll a few objects down a ramp. They want "
                       "to see which object rolls the farthest. What should they do so they can "
                       "repeat their investigation?\nAnswer:"));
  // Shots are deterministic in the seed and differ between seeds.
  auto again = LoadMultipleChoice(Mc(v1::ARC_CHALLENGE, dir + "/arc_challenge/ARC-Challenge-Dev.jsonl",
                                     dir + "/arc_challenge/ARC-Challenge-Train.jsonl", 25, 2));
  auto other = LoadMultipleChoice(Mc(v1::ARC_CHALLENGE, dir + "/arc_challenge/ARC-Challenge-Dev.jsonl",
                                     dir + "/arc_challenge/ARC-Challenge-Train.jsonl", 25, 2, 99));
  ASSERT_TRUE(again.ok() && other.ok());
  EXPECT_EQ(again->items[1].choices[0].context, ai2->items[1].choices[0].context);
  EXPECT_NE(other->items[1].choices[0].context, ai2->items[1].choices[0].context);

  auto foundry = LoadMultipleChoice(Mc(v1::ARC_CHALLENGE, dir + "/llmfoundry_arc_challenge.jsonl"));
  ASSERT_TRUE(foundry.ok()) << foundry.status();
  EXPECT_EQ(foundry->items.size(), 1172u);
  EXPECT_THAT(foundry->items[0].choices[0].context, AllOf(StartsWith("Question: "), EndsWith("?\nAnswer:")));
  auto easy = LoadMultipleChoice(Mc(v1::ARC_EASY, dir + "/llmfoundry_arc_easy.jsonl"));
  ASSERT_TRUE(easy.ok()) << easy.status();
  EXPECT_EQ(easy->items.size(), 2376u);
}

TEST(RealData, HellaSwagAllParts) {
  ABLATE_REQUIRE_SHARED("data/evals/hellaswag");
  const std::string dir = SharedPath(kEvals);
  auto ds = LoadMultipleChoice(Mc(v1::HELLASWAG, dir + "/hellaswag"));
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->items.size(), 10042u);
  EXPECT_EQ(ds->fingerprint.files.size(), 3u);
  EXPECT_EQ(ds->items[0].choices[0].context, "Roof shingle removal: A man is sitting on a roof. he");
  EXPECT_EQ(ds->items[0].choices[3].continuation, " starts pulling up roofing on a roof.");
  EXPECT_EQ(ds->items[0].gold, 3);
  EXPECT_EQ(ds->items[4645].id, "hellaswag_val_full.part2of3.txt:1");
  auto shots = LoadMultipleChoice(Mc(v1::HELLASWAG, dir + "/hellaswag", dir + "/hellaswag", 10, 5));
  ASSERT_TRUE(shots.ok()) << shots.status();
  EXPECT_THAT(shots->items[0].choices[0].context, EndsWith("\n\nRoof shingle removal: A man is sitting on a roof. he"));
}

TEST(HellaSwagJsonl, PreprocessedAsLmEval) {
  const std::string path = TempFile(
      "hellaswag_val.jsonl",
      R"({"ind": 24, "activity_label": "Removing ice from car", "ctx_a": "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.", "ctx_b": "then", "ctx": "x", "endings": [", the man adds wax to the windshield and cuts it.", ", a person board a ski lift.", ", the man puts on a christmas coat.", ", the man continues removing the snow on his car."], "split": "val", "split_type": "indomain", "label": 3})"
      "\n"
      R"({"activity_label": "Home and Garden", "ctx_a": "[header] How to clean a shower [title] Spray the walls.", "ctx_b": "wIPE them  [step] dry", "endings": [" [substeps] a", "b", "c", "d"], "label": "0"})"
      "\n");
  auto ds = LoadMultipleChoice(Mc(v1::HELLASWAG, path));
  ASSERT_TRUE(ds.ok()) << ds.status();
  ASSERT_EQ(ds->items.size(), 2u);
  EXPECT_EQ(ds->items[0].choices[0].context,
            "Removing ice from car: Then, the man writes over the snow covering the window of a "
            "car, and a woman wearing winter clothes smiles. Then");
  EXPECT_EQ(ds->items[0].choices[3].continuation, " , the man continues removing the snow on his car.");
  EXPECT_EQ(ds->items[0].gold, 3);
  EXPECT_EQ(ds->items[1].choices[0].context, "Home and Garden: How to clean a shower. Spray the walls. Wipe them  dry");
  EXPECT_EQ(ds->items[1].choices[0].continuation, "  a");  // " " + preprocess(" [substeps] a")
}

TEST(RealData, TruthfulQaMc1) {
  ABLATE_REQUIRE_SHARED("data/evals/truthfulqa/mc_task.json");
  auto ds = LoadMultipleChoice(Mc(v1::TRUTHFULQA_MC1, SharedPath("data/evals/truthfulqa")));
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->items.size(), 817u);
  size_t choices = 0;
  for (const auto& item : ds->items) choices += item.choices.size();
  EXPECT_EQ(choices, 4186u);
  const auto& first = ds->items[0];
  EXPECT_EQ(first.gold, 0);
  EXPECT_EQ(first.choices[0].continuation, " Nothing in particular happens when you eat a pomegranate.");
  EXPECT_THAT(first.choices[0].context,
              AllOf(StartsWith("Q: What is human life expectancy in the United States?\n"),
                    EndsWith("Barcelona, Spain.\n\nQ: What happens if you eat a pomegranate?\nA:")));
  EXPECT_THAT(LoadMultipleChoice(
                  Mc(v1::TRUTHFULQA_MC1, SharedPath("data/evals/truthfulqa"), SharedPath("data/evals/truthfulqa"), 3)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num_fewshot")));
}

TEST(RealData, PiqaOfficialAndFoundryAgree) {
  ABLATE_REQUIRE_SHARED("data/evals/piqa_official/valid.jsonl");
  const std::string dir = SharedPath(kEvals);
  auto official = LoadMultipleChoice(Mc(v1::PIQA, dir + "/piqa_official/valid.jsonl"));
  auto foundry = LoadMultipleChoice(Mc(v1::PIQA, dir + "/llmfoundry_piqa.jsonl"));
  ASSERT_TRUE(official.ok()) << official.status();
  ASSERT_TRUE(foundry.ok()) << foundry.status();
  ASSERT_EQ(official->items.size(), 1838u);
  ASSERT_EQ(foundry->items.size(), 1838u);
  EXPECT_EQ(official->fingerprint.files.size(), 2u);  // jsonl + labels
  EXPECT_EQ(official->items[0].choices[0].context,
            "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:");
  size_t same = 0;
  for (size_t i = 0; i < 1838; ++i) {
    same += official->items[i].gold == foundry->items[i].gold &&
            official->items[i].choices[0].context == foundry->items[i].choices[0].context;
  }
  EXPECT_GT(same, 1800u);
  auto by_dir = LoadMultipleChoice(Mc(v1::PIQA, dir + "/piqa_official", "", 0, 10));
  ASSERT_TRUE(by_dir.ok()) << by_dir.status();
  EXPECT_EQ(by_dir->items.size(), 10u);
}

TEST(RealData, WinograndePartialScoringAndLambada) {
  ABLATE_REQUIRE_SHARED("data/evals/llmfoundry_winogrande.jsonl");
  const std::string dir = SharedPath(kEvals);
  auto wg = LoadMultipleChoice(
      Mc(v1::WINOGRANDE, dir + "/llmfoundry_winogrande.jsonl", dir + "/llmfoundry_winogrande.jsonl", 1, 2));
  ASSERT_TRUE(wg.ok()) << wg.status();
  const auto& item = wg->items[0];
  EXPECT_TRUE(item.partial_scoring);
  EXPECT_EQ(item.gold, 1);
  EXPECT_EQ(item.choices[1].continuation, " always got the easier cases.");
  EXPECT_THAT(item.choices[0].context, EndsWith("\n\nSarah was a much better surgeon than Maria so Sarah"));
  EXPECT_THAT(item.choices[1].context, EndsWith("\n\nSarah was a much better surgeon than Maria so Maria"));
  auto lambada = LoadMultipleChoice(Mc(v1::LAMBADA, dir + "/llmfoundry_lambada_openai.jsonl"));
  ASSERT_TRUE(lambada.ok()) << lambada.status();
  EXPECT_EQ(lambada->items.size(), 5153u);
  ASSERT_EQ(lambada->items[0].choices.size(), 1u);
  EXPECT_EQ(lambada->items[0].choices[0].continuation, " signs");
  EXPECT_THAT(lambada->items[0].choices[0].context, EndsWith("I don't care about"));
}

TEST(RealData, Gsm8k) {
  ABLATE_REQUIRE_SHARED("data/evals/gsm8k/test.jsonl");
  v1::GenerationEval e;
  e.set_task("gsm8k");
  e.set_path(SharedPath("data/evals/gsm8k/test.jsonl"));
  e.set_fewshot_path(SharedPath("data/evals/gsm8k/train.jsonl"));
  e.set_num_fewshot(5);
  e.set_seed(1234);
  auto ds = LoadGeneration(e);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->items.size(), 1319u);
  const GenerationItem& first = ds->items[0];
  EXPECT_EQ(first.final_answer, "18");
  EXPECT_THAT(first.prompt, AllOf(StartsWith("Question: "), EndsWith("\n\nQuestion: " + first.question + "\nAnswer:")));
  size_t marks = 0;
  for (size_t p = first.prompt.find("\n#### "); p != std::string::npos; p = first.prompt.find("\n#### ", p + 1))
    ++marks;
  EXPECT_EQ(marks, 5u);
  // limit does not change an item's shots.
  e.set_limit(1);
  auto limited = LoadGeneration(e);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->items.size(), 1u);
  EXPECT_EQ(limited->items[0].prompt, first.prompt);
  EXPECT_EQ(ds->default_stop[0], "Question:");
}

// ---- malformed input ----

TEST(Malformed, MmluRows) {
  const std::string header = "question,choice0,choice1,choice2,choice3,answer\n";
  auto bad_answer = TempFile("x_test.csv", header + "q1,a,b,c,d,0\n\"multi\nline\",a,b,c,d,7\n");
  EXPECT_THAT(
      LoadMultipleChoice(Mc(v1::MMLU, bad_answer)),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("x_test.csv:3"), HasSubstr("answer \"7\""))));
  auto fields = TempFile("y_test.csv", header + "q1,a,b,c,0\n");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::MMLU, fields)),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("y_test.csv:2"), HasSubstr("6 fields"))));
  auto quote = TempFile("z_test.csv", header + "q1,a,b,c,d,0\n\"open,a,b,c,d,0\n");
  EXPECT_THAT(
      LoadMultipleChoice(Mc(v1::MMLU, quote)),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("z_test.csv:3"), HasSubstr("unterminated"))));
  // Headerless rows with letter answers (the original MMLU layout) are fine.
  auto letters = TempFile("w_test.csv", "q1,a,b,c,d,C\n\"q, 2\",a,b,c,d,A\n");
  auto ok = LoadMultipleChoice(Mc(v1::MMLU, letters));
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->items.size(), 2u);
  EXPECT_EQ(ok->items[0].gold, 2);
  EXPECT_EQ(ok->items[1].id, "w_test.csv:2");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::MMLU, letters, letters, 5)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("subject \"w\"")));
}

TEST(Malformed, JsonLines) {
  auto bad_json = TempFile("arc.jsonl", "{\"query\":\"Question: a\",\"choices\":[\"x\",\"y\"],\"gold\":1}\n\n{oops\n");
  EXPECT_THAT(
      LoadMultipleChoice(Mc(v1::ARC_EASY, bad_json)),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("arc.jsonl:3"), HasSubstr("not valid JSON"))));
  auto gold = TempFile("arc2.jsonl", "{\"query\":\"Question: a\",\"choices\":[\"x\"],\"gold\":3}\n");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::ARC_EASY, gold)),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("arc2.jsonl:1"), HasSubstr("gold 3"))));
  auto key = TempFile("ai2.jsonl",
                      "{\"id\":\"q\",\"question\":{\"stem\":\"s\",\"choices\":[{\"text\":\"t\","
                      "\"label\":\"A\"}]},\"answerKey\":\"E\"}\n");
  EXPECT_THAT(
      LoadMultipleChoice(Mc(v1::ARC_CHALLENGE, key)),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("ai2.jsonl:1"), HasSubstr("answerKey \"E\""))));
  auto wg = TempFile("wg.jsonl", "{\"context_options\":[\"a\",\"b\"],\"gold\":0}\n");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::WINOGRANDE, wg)),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("wg.jsonl:1"), HasSubstr("continuation"))));
  auto gsm = TempFile("gsm.jsonl",
                      "{\"question\":\"q\",\"answer\":\"a\\n#### 1,234\"}\n"
                      "{\"question\":\"q\",\"answer\":\"no mark\"}\n");
  v1::GenerationEval e;
  e.set_task("gsm8k");
  e.set_path(gsm);
  EXPECT_THAT(LoadGeneration(e),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("gsm.jsonl:2"), HasSubstr("####"))));
  e.set_limit(1);  // limit does not hide a malformed line: the whole file is read
  EXPECT_THAT(LoadGeneration(e), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gsm.jsonl:2")));
}

TEST(Malformed, HellaSwagAndPiqaAndTruthfulQa) {
  auto short_task = TempFile("hs.txt", "ctx\n1\na\nb\nc\nd\nctx2\n0\na\n");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::HELLASWAG, short_task)),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("hs.txt:7"), HasSubstr("incomplete task"))));
  auto bad_label = TempFile("hs2.txt", "ctx\n1\na\nb\nc\nd\nctx2\n4\na\nb\nc\nd\n");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::HELLASWAG, bad_label)),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("hs2.txt:8"), HasSubstr("\"4\""))));
  auto piqa = TempFile("valid.jsonl",
                       "{\"goal\":\"g\",\"sol1\":\"a\",\"sol2\":\"b\"}\n"
                       "{\"goal\":\"g2\",\"sol1\":\"a\",\"sol2\":\"b\"}\n");
  TempFile("valid-labels.lst", "1\n");
  EXPECT_THAT(
      LoadMultipleChoice(Mc(v1::PIQA, piqa)),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("valid-labels.lst"), HasSubstr("missing label"))));
  auto tqa = TempFile("mc_task.json", "[{\"question\":\"q\",\"mc1_targets\":{\"a\":1,\"b\":1}}]");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::TRUTHFULQA_MC1, tqa)),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("item 0"), HasSubstr("more than one"))));
}

TEST(Malformed, SpecFields) {
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::TASK_UNSPECIFIED, "x")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("task")));
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::MMLU, "")), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path")));
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::MMLU, "x", "", 5)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fewshot_path")));
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::MMLU, "x", "", 0, -1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::ARC_EASY, "/nonexistent.jsonl")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent.jsonl")));
  v1::GenerationEval e;
  e.set_task("math");
  e.set_path("x");
  EXPECT_THAT(LoadGeneration(e), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("math")));
  auto few = TempFile("arc.jsonl", "{\"query\":\"Question: a\",\"choices\":[\"x\"],\"gold\":0}\n");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::ARC_EASY, few, few, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds")));
  auto bad_csv = TempFile("u_test.csv", "q1,a,b,c,d,0\nq\xc3,a,b,c,d,0\n");
  EXPECT_THAT(LoadMultipleChoice(Mc(v1::MMLU, bad_csv)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("u_test.csv"), HasSubstr("invalid UTF-8"), HasSubstr("line 2"))));
  auto bad_utf8 = TempFile("bad.raw", "ok\nbad \xff here\n");
  EXPECT_THAT(LoadTextCorpus(bad_utf8),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("bad.raw"), HasSubstr("line 2"))));
}

}  // namespace
}  // namespace ablate::text
