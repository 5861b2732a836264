#include "common/model_config.h"

#include <filesystem>
#include <fstream>

#include "common/lenient_json.h"
#include "gtest/gtest.h"
#include "tests/testing/shared_data.h"
#include "tests/testing/status_matchers.h"

namespace ablate {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ModelConfig Parse(const std::string& text) {
  auto j = ParseLenientJson(text, "config.json");
  EXPECT_TRUE(j.ok()) << j.status();
  auto c = ParseModelConfig(*j, "config.json");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : ModelConfig{};
}

TEST(ModelConfig, Qwen35DefaultIntervalLayout) {
  ModelConfig c = Parse(R"({"model_type":"qwen3_5_text","vocab_size":10,"hidden_size":16,
    "intermediate_size":32,"num_hidden_layers":24,"num_attention_heads":2,"num_key_value_heads":1,
    "linear_num_key_heads":2,"linear_num_value_heads":4})");
  EXPECT_EQ(c.family, Family::kQwen35);
  EXPECT_THAT(c.LayersWith(v1::ATTENTION), ElementsAre(3, 7, 11, 15, 19, 23));
  EXPECT_EQ(c.LayersWith(v1::LINEAR_ATTENTION).size(), 18u);
  EXPECT_EQ(c.LayersWith(v1::MLP).size(), 24u);
  EXPECT_TRUE(c.LayersWith(v1::SSM).empty());
}

TEST(ModelConfig, MultimodalQwen35UsesTextConfig) {
  ModelConfig c = Parse(R"({"model_type":"qwen3_5","tie_word_embeddings":true,"text_config":{
    "model_type":"qwen3_5_text","vocab_size":10,"hidden_size":16,"intermediate_size":32,
    "num_hidden_layers":4,"num_attention_heads":2,"num_key_value_heads":1,
    "layer_types":["linear_attention","linear_attention","linear_attention","full_attention"]}})");
  EXPECT_EQ(c.weight_prefix, "model.language_model.");
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_THAT(c.ComponentsOf(3), ElementsAre(v1::ATTENTION, v1::MLP));
}

TEST(ModelConfig, FalconH1AcceptsInfinity) {
  ModelConfig c = Parse(R"({"model_type":"falcon_h1","vocab_size":10,"hidden_size":16,
    "intermediate_size":32,"num_hidden_layers":36,"num_attention_heads":2,"num_key_value_heads":1,
    "mamba_d_ssm":32,"mamba_n_heads":2,"mamba_d_head":16,"time_step_limit":[0.0, Infinity]})");
  EXPECT_EQ(c.family, Family::kFalconH1);
  EXPECT_TRUE(std::isinf(c.falcon.time_step_limit[1]));
  EXPECT_THAT(c.ComponentsOf(0), ElementsAre(v1::SSM, v1::ATTENTION, v1::MLP));
  EXPECT_EQ(c.LayersWith(v1::SSM).size(), 36u);
}

TEST(ModelConfig, UnknownModelTypeIsClearError) {
  auto j = ParseLenientJson(R"({"model_type":"gpt_neox"})", "x/config.json");
  EXPECT_THAT(ParseModelConfig(*j, "x/config.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gpt_neox")));
}

TEST(ModelConfig, MissingFieldIsNamed) {
  auto j = ParseLenientJson(R"({"model_type":"qwen2","vocab_size":10})", "c.json");
  EXPECT_THAT(ParseModelConfig(*j, "c.json"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hidden_size")));
}

TEST(ModelConfig, GoldenConfigsLoad) {
  ABLATE_REQUIRE_SHARED("golden/falcon_h1-tiny-g1/config.json");
  for (const char* d : {"qwen2-tiny-tied", "qwen3_5-tiny-lllf", "falcon_h1-tiny-g1"}) {
    auto c = LoadModelConfig(::ablate::testing::SharedPath(std::string("golden/") + d));
    ASSERT_OK(c);
    EXPECT_EQ(c->num_layers, 4);
  }
}

TEST(ModelConfig, ParseComponentAliases) {
  EXPECT_EQ(*ParseComponent("mamba"), v1::SSM);
  EXPECT_EQ(*ParseComponent("Linear_Attention"), v1::LINEAR_ATTENTION);
  EXPECT_THAT(ParseComponent("conv"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("conv")));
}

}  // namespace
}  // namespace ablate

namespace ablate {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<ModelConfig> TryParse(const std::string& text, const RequestLimits& limits = RequestLimits()) {
  auto j = ParseLenientJson(text, "config.json");
  if (!j.ok()) return j.status();
  return ParseModelConfig(*j, "config.json", limits);
}

std::string Qwen2(const std::string& layers, const std::string& extra = "") {
  return R"({"model_type":"qwen2","vocab_size":10,"hidden_size":16,"intermediate_size":32,)"
         R"("num_attention_heads":2,"num_key_value_heads":1,"num_hidden_layers":)" +
         layers + extra + "}";
}

TEST(ModelConfigLimits, HugeLayerCountIsRefusedBeforeBuildingLayers) {
  // 2e9 layers would be gigabytes of per-layer vectors; refused by the count alone.
  EXPECT_THAT(TryParse(Qwen2("2000000000")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("num_hidden_layers: 2000000000 is more than the limit of 4096 "
                                 "(coordinator flag --max-layers-per-model)")));
  RequestLimits small;
  small.max_layers_per_model = 8;
  EXPECT_THAT(TryParse(Qwen2("9"), small), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_OK(TryParse(Qwen2("8"), small).status());
}

TEST(ModelConfigLimits, LayerTypesMustCoverEveryLayer) {
  const std::string eight = R"(,"layer_types":["full_attention","full_attention","full_attention","full_attention",)"
                            R"("full_attention","full_attention","full_attention","full_attention"])";
  EXPECT_THAT(TryParse(Qwen2("12", eight)), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer_types")));
  EXPECT_OK(TryParse(Qwen2("8", eight)).status());
  EXPECT_THAT(TryParse(R"({"model_type":"qwen3_5_text","vocab_size":10,"hidden_size":16,
    "intermediate_size":32,"num_hidden_layers":12,"num_attention_heads":2,"num_key_value_heads":1,
    "layer_types":["linear_attention","linear_attention","linear_attention","full_attention",
                   "linear_attention","linear_attention","linear_attention","full_attention"]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer_types")));
}

TEST(ModelConfigLimits, ErrorsNeverEchoTheFile) {
  for (const std::string& text :
       {Qwen2("\"SECRET-1\""), Qwen2("4", R"(,"layer_types":["SECRET-2"])"),
        std::string(R"({"model_type":"SECRET 3 !"})"), std::string(R"({"model_type":"qwen2", SECRET-4})")}) {
    absl::Status s = TryParse(text).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_)) << text;
    EXPECT_THAT(s.message(), Not(HasSubstr("SECRET"))) << text;
  }
}

TEST(ModelConfigLimits, OversizedFileIsRefusedBeforeReading) {
  const std::string dir = ::testing::TempDir() + "/big_config";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.json") << Qwen2("4") << std::string(2000, ' ');
  RequestLimits limits;
  limits.max_config_bytes = 1000;
  EXPECT_THAT(LoadModelConfig(dir, limits).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("--max-config-bytes")));
  EXPECT_OK(LoadModelConfig(dir).status());
}

}  // namespace
}  // namespace ablate

namespace ablate {
namespace {

// json::value() throws type_error on a present key of another type; a config
// must never end the process.
TEST(ModelConfigLimits, OddlyTypedRopeScalingIsAnErrorOrIgnoredNotACrash) {
  auto j = ParseLenientJson(
      R"({"model_type":"qwen2","vocab_size":10,"hidden_size":16,"intermediate_size":32,
          "num_hidden_layers":2,"num_attention_heads":2,"rope_scaling":{"type":5,"rope_type":[1]}})",
      "config.json");
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(ParseModelConfig(*j, "config.json").ok());
  auto k = ParseLenientJson(
      R"({"model_type":"qwen2","vocab_size":10,"hidden_size":16,"intermediate_size":32,
          "num_hidden_layers":2,"num_attention_heads":2,"rope_scaling":{"rope_type":"SECRET"}})",
      "config.json");
  ASSERT_TRUE(k.ok());
  auto c = ParseModelConfig(*k, "config.json");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(c.status().message()).find("SECRET"), std::string::npos);
}

// Found by fuzz_model_config_fuzz: a cross-field check naming a field the
// config leaves to its default threw out of ParseModelConfig.
TEST(ModelConfigLimits, ACrossFieldErrorOnAnAbsentFieldIsAnErrorNotACrash) {
  auto j = ParseLenientJson(
      R"({"model_type":"falcon_h1","vocab_size":10,"hidden_size":16,"intermediate_size":32,
          "num_hidden_layers":2,"num_attention_heads":2,"mamba_d_ssm":30,"mamba_n_heads":4})",
      "config.json");
  ASSERT_TRUE(j.ok());
  auto c = ParseModelConfig(*j, "config.json");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
}

}  // namespace
}  // namespace ablate
