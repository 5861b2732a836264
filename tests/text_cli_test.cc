// text_cli_test.cc: `ablate tokenize`, `ablate detokenize` and `ablate prompts`
// as a user runs them: output formats, exact text out, exit codes and error lines.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/lenient_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/shared_data.h"

namespace ablate {
namespace {

using ::ablate::testing::SharedPath;
using ::testing::HasSubstr;

struct CliRun {
  int exit_code;
  std::string out;  // stdout and stderr
};

CliRun Ablate(const std::string& args) {
  const std::string cmd = std::string(ABLATE_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  CliRun r{-1, ""};
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string TempFile(const std::string& name, const std::string& contents) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

constexpr char kQwen[] = "data/tokenizers/qwen2/tokenizer.json";

TEST(TokenizeCli, GoldenProbesRoundTrip) {
  ABLATE_REQUIRE_SHARED(kQwen);
  ABLATE_REQUIRE_SHARED("data/golden_tokenization_qwen2.json");
  auto golden = ReadLenientJsonFile(SharedPath("data/golden_tokenization_qwen2.json"));
  ASSERT_TRUE(golden.ok());
  const std::string tok = SharedPath(kQwen);
  int k = 0;
  for (const nlohmann::json& probe : (*golden)["probes"]) {
    const std::string text = probe["text"];
    const std::string file = TempFile("probe" + std::to_string(k++) + ".txt", text);
    CliRun enc = Ablate("tokenize --tokenizer " + tok + " --text-file " + file + " --json");
    ASSERT_EQ(enc.exit_code, 0) << enc.out;
    EXPECT_EQ(nlohmann::json::parse(enc.out), probe["ids"]) << text;
    const std::string ids_json = probe["ids"].dump();
    CliRun dec = Ablate("detokenize --tokenizer " + tok + " --json '" + ids_json + "'");
    ASSERT_EQ(dec.exit_code, 0) << dec.out;
    EXPECT_EQ(dec.out, text);  // exactly the text: no added newline when piped
  }
  CliRun plain = Ablate("tokenize --tokenizer " + tok + " --text 'Hello world'");
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_EQ(plain.out, "9707 1879\n");
  CliRun ids = Ablate("detokenize --tokenizer " + tok + " --ids '9707 1879'");
  EXPECT_EQ(ids.out, "Hello world");
  const std::string ids_file = TempFile("ids.txt", "9707,1879\n151643\n");
  CliRun from_file = Ablate("detokenize --tokenizer " + tok + " --ids-file " + ids_file + " --skip-special");
  EXPECT_EQ(from_file.out, "Hello world");
}

TEST(PromptsCli, ShowsTheRequestsOfAnEvaluationEntry) {
  ABLATE_REQUIRE_SHARED("data/evals/llmfoundry_arc_easy.jsonl");
  CliRun r =
      Ablate("prompts --task arc_easy --limit 2 --json --path " + SharedPath("data/evals/llmfoundry_arc_easy.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["task"], "ARC_EASY");
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["choices"][0]["context"],
            "Question: Which statement best explains why photosynthesis is the foundation of most "
            "food webs?\nAnswer:");
  EXPECT_EQ(j["items"][0]["choices"][0]["continuation"],
            " Sunlight is the source of energy for nearly all ecosystems.");
  CliRun bad = Ablate("prompts --task nope --path x");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.out, HasSubstr("--task"));
}

TEST(TokenizeCli, ErrorsAreOneLineWithNonZeroExit) {
  CliRun missing = Ablate("tokenize --tokenizer /nonexistent/tokenizer.json --text x");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.out, HasSubstr("ablate: "));
  EXPECT_THAT(missing.out, HasSubstr("/nonexistent/tokenizer.json"));
  ABLATE_REQUIRE_SHARED(kQwen);
  const std::string tok = SharedPath(kQwen);
  CliRun no_text = Ablate("tokenize --tokenizer " + tok);
  EXPECT_EQ(no_text.exit_code, 2);
  EXPECT_THAT(no_text.out, HasSubstr("--text"));
  CliRun bad_id = Ablate("detokenize --tokenizer " + tok + " --ids '1 x'");
  EXPECT_EQ(bad_id.exit_code, 2);
  EXPECT_THAT(bad_id.out, HasSubstr("\"x\" is not an integer"));
  CliRun unknown = Ablate("detokenize --tokenizer " + tok + " --json '[9999999]'");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.out, HasSubstr("9999999"));
}

}  // namespace
}  // namespace ablate
