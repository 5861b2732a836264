// models_family_extension_test.cc: a model family added from outside the
// product code. The TEST-ONLY Mamba-2 stack (tests/families/mamba2_stack.cc:
// mixer-only layers, no MLP) is registered here, loads a random-weight
// checkpoint this test writes (config.json + safetensors under Hugging Face
// Mamba2 names), runs full and incremental forwards, and ablates.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/families/mamba2_stack.h"
#include "tests/testing/status_matchers.h"
#include "worker/models/causal_lm.h"
#include "worker/models/safetensors_torch.h"

namespace ablate::models {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr int64_t kVocab = 48, kHidden = 32, kLayers = 3, kHeads = 4, kHeadDim = 16, kState = 8, kConv = 4;
constexpr double kEps = 1e-5;

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

class FamilyExtensionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("family_extension_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    nlohmann::json config = {{"model_type", test_families::kMamba2StackModelType},
                             {"vocab_size", kVocab},
                             {"hidden_size", kHidden},
                             {"num_hidden_layers", kLayers},
                             {"num_heads", kHeads},
                             {"head_dim", kHeadDim},
                             {"expand", 2},
                             {"n_groups", 1},
                             {"state_size", kState},
                             {"conv_kernel", kConv},
                             {"chunk_size", 8},
                             {"layer_norm_epsilon", kEps}};
    std::ofstream(dir_ / "config.json") << config.dump(2);

    // Random weights under the family's checkpoint names (HF Mamba2).
    torch::manual_seed(1234);
    const int64_t d_ssm = kHeads * kHeadDim, conv_dim = d_ssm + 2 * kState;
    auto rnd = [](std::vector<int64_t> shape, double std) { return torch::randn(shape) * std; };
    weights_.emplace_back("backbone.embeddings.weight", rnd({kVocab, kHidden}, 1.0));
    for (int64_t i = 0; i < kLayers; ++i) {
      const std::string p = "backbone.layers." + std::to_string(i) + ".";
      weights_.emplace_back(p + "norm.weight", 1.0 + rnd({kHidden}, 0.1));
      weights_.emplace_back(p + "mixer.in_proj.weight", rnd({d_ssm + conv_dim + kHeads, kHidden}, 0.2));
      weights_.emplace_back(p + "mixer.conv1d.weight", rnd({conv_dim, 1, kConv}, 0.3));
      weights_.emplace_back(p + "mixer.conv1d.bias", rnd({conv_dim}, 0.1));
      weights_.emplace_back(p + "mixer.dt_bias", rnd({kHeads}, 0.5));
      weights_.emplace_back(p + "mixer.A_log", torch::log(torch::arange(1, kHeads + 1).to(torch::kFloat32)));
      weights_.emplace_back(p + "mixer.D", torch::ones({kHeads}));
      weights_.emplace_back(p + "mixer.norm.weight", 1.0 + rnd({d_ssm}, 0.1));
      weights_.emplace_back(p + "mixer.out_proj.weight", rnd({kHidden, d_ssm}, 0.2));
    }
    weights_.emplace_back("backbone.norm_f.weight", 1.0 + rnd({kHidden}, 0.1));
    weights_.emplace_back("lm_head.weight", rnd({kVocab, kHidden}, 0.2));
    ASSERT_OK(WriteSafetensors((dir_ / "model.safetensors").string(), weights_));

    families_ = FamilyRegistry::Product().With(test_families::Mamba2StackFamily());
    auto lm = LoadCausalLM(dir_.string(), {.families = &families_});
    ASSERT_OK(lm);
    lm_ = std::move(*lm);
    ids_ = torch::randint(0, kVocab, {2, 11}, torch::kInt64);
  }
  void TearDown() override { fs::remove_all(dir_); }

  const torch::Tensor& Weight(const std::string& name) const {
    for (const auto& [n, t] : weights_)
      if (n == name) return t;
    ADD_FAILURE() << "no weight " << name;
    return weights_.front().second;
  }

  AblationPlan ZeroSsm(std::vector<int64_t> layers) const {
    AblationPlan plan;
    for (int64_t l : layers) plan.push_back({.layer = l, .component = v1::SSM, .mode = v1::ZERO});
    return plan;
  }

  fs::path dir_;
  std::vector<std::pair<std::string, torch::Tensor>> weights_;
  FamilyRegistry families_;
  std::unique_ptr<CausalLM> lm_;
  torch::Tensor ids_;
};

TEST_F(FamilyExtensionTest, LoadsOnlyThroughTheRegistryThatHasIt) {
  // The product registry does not know the test family.
  EXPECT_THAT(LoadCausalLM(dir_.string()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported model_type")));
  const ModelConfig& c = lm_->config();
  EXPECT_EQ(c.num_layers, kLayers);
  for (int64_t l = 0; l < kLayers; ++l) EXPECT_EQ(c.ComponentsOf(l), std::vector<v1::Component>{v1::SSM});
  int64_t written = 0;
  for (const auto& [name, t] : weights_) written += t.numel();
  EXPECT_EQ(lm_->parameter_count(), written);  // every tensor used, nothing else
  std::vector<std::string> names;
  for (const auto& [name, t] : lm_->NamedParameters()) names.push_back(name);
  EXPECT_EQ(names.front(), "backbone.embeddings.weight");
  EXPECT_EQ(names.back(), "lm_head.weight");
}

TEST_F(FamilyExtensionTest, ForwardMatchesIncrementalDecoding) {
  const torch::Tensor logits = lm_->Forward(ids_);
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{2, 11, kVocab}));
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  auto state = lm_->NewState(2);
  std::vector<torch::Tensor> pieces;
  pieces.push_back(lm_->Step(ids_.narrow(1, 0, 5), state.get()));                                   // chunked scan
  for (int64_t t = 5; t < 11; ++t) pieces.push_back(lm_->Step(ids_.narrow(1, t, 1), state.get()));  // recurrent
  EXPECT_LT(MaxDiff(torch::cat(pieces, 1), logits), 1e-4);
}

TEST_F(FamilyExtensionTest, RemovingOneMixerChangesTheOutput) {
  const torch::Tensor base = lm_->Forward(ids_);
  const AblationPlan plan = ZeroSsm({1});
  ASSERT_OK(ValidatePlan(lm_->config(), plan));
  const torch::Tensor ablated = lm_->Forward(ids_, {.plan = &plan});
  EXPECT_GT(MaxDiff(base, ablated), 1e-3);
  // Zeroing the only mixer of a mixer-only layer is skipping it.
  const AblationPlan skip = {{.layer = 1, .mode = v1::SKIP_LAYER}};
  EXPECT_EQ(MaxDiff(ablated, lm_->Forward(ids_, {.plan = &skip})), 0.0);
  // There is no MLP to ablate.
  const AblationPlan mlp = {{.layer = 0, .component = v1::MLP, .mode = v1::ZERO}};
  EXPECT_THAT(ValidatePlan(lm_->config(), mlp),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("that layer has no such component")));
}

TEST_F(FamilyExtensionTest, RemovingEveryMixerLeavesEmbeddingFinalNormHead) {
  const AblationPlan plan = ZeroSsm({0, 1, 2});
  const torch::Tensor ablated = lm_->Forward(ids_, {.plan = &plan});
  // By hand from the written tensors: embedding -> RMSNorm(norm_f) -> lm_head.
  const torch::Tensor x = Weight("backbone.embeddings.weight").index_select(0, ids_.flatten()).view({2, 11, kHidden});
  const torch::Tensor normed = x * torch::rsqrt(x.pow(2).mean(-1, true) + kEps) * Weight("backbone.norm_f.weight");
  const torch::Tensor expected = torch::matmul(normed, Weight("lm_head.weight").t());
  EXPECT_LT(MaxDiff(ablated, expected), 1e-5);
}

TEST_F(FamilyExtensionTest, ResidualReuseStartsAtALayer) {
  std::vector<torch::Tensor> residuals;
  const torch::Tensor base = lm_->Forward(ids_, {.residuals = &residuals});
  ASSERT_EQ(residuals.size(), static_cast<size_t>(kLayers + 1));
  const AblationPlan plan = ZeroSsm({2});
  const torch::Tensor full = lm_->Forward(ids_, {.plan = &plan});
  const torch::Tensor reused = lm_->Forward(ids_, {.plan = &plan, .start_layer = 2, .start_hidden = residuals[2]});
  EXPECT_EQ(MaxDiff(full, reused), 0.0);
  EXPECT_GT(MaxDiff(base, full), 1e-3);
}

}  // namespace
}  // namespace ablate::models
