// submit_request_test.cc: the client sends each readable model's config.json
// with the spec, notes the unreadable ones, and refuses oversized files.
#include "cli/submit_request.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::cli {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

class SubmitRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/submit_request_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_ + "/m");
    std::ofstream(dir_ + "/m/config.json") << R"({"model_type": "qwen2", "num_hidden_layers": 2})";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  v1::SweepSpec Spec() {
    v1::SweepSpec spec;
    spec.set_name("s");
    auto* a = spec.add_models();
    a->set_name("here");
    a->set_path(dir_ + "/m");
    auto* b = spec.add_models();
    b->set_name("elsewhere");
    b->set_path(dir_ + "/not-on-this-machine");
    return spec;
  }

  std::string dir_;
};

TEST_F(SubmitRequestTest, SendsReadableLayoutsAndNotesTheOthers) {
  std::vector<std::string> notes;
  auto req = MakeSubmitRequest(Spec(), "name: s", {.existing = v1::RESUME}, &notes);
  ASSERT_OK(req.status());
  EXPECT_EQ(req->spec().name(), "s");
  EXPECT_EQ(req->spec_text(), "name: s");
  EXPECT_EQ(req->existing(), v1::RESUME);
  EXPECT_FALSE(req->dry_run());
  ASSERT_EQ(req->model_layouts_size(), 1);
  EXPECT_EQ(req->model_layouts(0).model(), "here");
  EXPECT_THAT(req->model_layouts(0).config_json(), HasSubstr("\"num_hidden_layers\": 2"));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("'elsewhere'"));
  EXPECT_THAT(notes[0], HasSubstr("the coordinator will read it"));
}

TEST_F(SubmitRequestTest, RefusesAnOversizedConfig) {
  std::ofstream(dir_ + "/m/config.json") << std::string(2048, ' ') << "{}";
  EXPECT_THAT(MakeSubmitRequest(Spec(), "", {.max_config_bytes = 1024}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 1024")));
}

}  // namespace
}  // namespace ablate::cli
