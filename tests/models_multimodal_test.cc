// models_multimodal_test.cc: a golden Qwen3.5 checkpoint rewritten into the
// layout of real Qwen3.5 releases (Qwen3_5ForConditionalGeneration: model_type
// "qwen3_5", text fields under "text_config", weights under
// "model.language_model.", plus vision and MTP tensors that must be ignored)
// loads and gives bit-identical logits.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/lenient_json.h"
#include "gtest/gtest.h"
#include "tests/testing/shared_data.h"
#include "tests/testing/status_matchers.h"
#include "worker/models/causal_lm.h"
#include "worker/models/safetensors.h"
#include "worker/models/safetensors_torch.h"

namespace ablate::models {
namespace {

namespace fs = std::filesystem;

// The first golden directory whose config is a text-only Qwen3.5.
std::string FindQwen35Golden() {
  const fs::path root = ablate::testing::SharedPath("golden");
  if (!fs::exists(root)) return "";
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    auto j = ReadLenientJsonFile((e.path() / "config.json").string());
    if (j.ok() && j->value("model_type", "") == "qwen3_5_text") dirs.push_back(e.path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs.empty() ? "" : dirs.front();
}

TEST(MultimodalQwen35Test, RewrittenCheckpointGivesIdenticalLogits) {
  const std::string src = FindQwen35Golden();
  if (src.empty()) GTEST_SKIP() << "no qwen3_5_text golden directory under " << ablate::testing::SharedPath("golden");
  const fs::path dst = fs::temp_directory_path() / ("multimodal_" + std::to_string(::getpid()));
  fs::create_directories(dst);

  // config.json: {model_type: qwen3_5, text_config: {...text fields...}, vision_config: {...}}
  auto text = ReadLenientJsonFile(src + "/config.json");
  ASSERT_OK(text);
  nlohmann::json mm = {{"architectures", {"Qwen3_5ForConditionalGeneration"}},
                       {"model_type", "qwen3_5"},
                       {"tie_word_embeddings", text->value("tie_word_embeddings", false)},
                       {"vision_config", {{"depth", 1}, {"hidden_size", 8}}}};
  nlohmann::json tc = *text;
  tc.erase("architectures");
  tc["model_type"] = "qwen3_5_text";
  mm["text_config"] = tc;
  std::ofstream(dst / "config.json") << mm.dump(2);

  // Weights: model.X -> model.language_model.X, lm_head stays; extra vision/MTP tensors.
  auto ckpt = Checkpoint::Open(src);
  ASSERT_OK(ckpt);
  std::vector<std::pair<std::string, torch::Tensor>> w;
  for (const auto& [name, ref] : (*ckpt)->tensors()) {
    std::string n = name.rfind("model.", 0) == 0 ? "model.language_model." + name.substr(6) : name;
    w.emplace_back(n, ToTensor(ref));
  }
  w.emplace_back("model.visual.x", torch::ones({3, 2}));
  w.emplace_back("model.visual.blocks.0.attn.qkv.weight", torch::ones({4}));
  w.emplace_back("mtp.fc.weight", torch::ones({2, 2}));
  // Split into two shards with an index, as large releases are.
  const size_t half = w.size() / 2;
  ASSERT_OK(WriteSafetensors((dst / "model-00001-of-00002.safetensors").string(), {w.begin(), w.begin() + half}));
  ASSERT_OK(WriteSafetensors((dst / "model-00002-of-00002.safetensors").string(), {w.begin() + half, w.end()}));
  nlohmann::json index = {{"metadata", nlohmann::json::object()}, {"weight_map", nlohmann::json::object()}};
  for (size_t i = 0; i < w.size(); ++i)
    index["weight_map"][w[i].first] =
        i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  std::ofstream(dst / "model.safetensors.index.json") << index.dump();

  auto ref_lm = LoadCausalLM(src);
  ASSERT_OK(ref_lm);
  auto mm_lm = LoadCausalLM(dst.string());
  ASSERT_OK(mm_lm);
  EXPECT_EQ((*mm_lm)->config().weight_prefix, "model.language_model.");
  EXPECT_EQ((*mm_lm)->parameter_count(), (*ref_lm)->parameter_count());
  torch::Tensor ids = torch::randint(0, (*ref_lm)->config().vocab_size, {2, 23});
  torch::Tensor a = (*ref_lm)->Forward(ids), b = (*mm_lm)->Forward(ids);
  EXPECT_TRUE(at::equal(a, b));
  // Parameter names come back in the multimodal layout.
  bool prefixed = false;
  for (const auto& [n, t] : (*mm_lm)->NamedParameters()) prefixed |= n.rfind("model.language_model.", 0) == 0;
  EXPECT_TRUE(prefixed);
  fs::remove_all(dst);
}

}  // namespace
}  // namespace ablate::models
