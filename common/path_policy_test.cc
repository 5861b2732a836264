#include "common/path_policy.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate {
namespace {

namespace fs = std::filesystem;
using ::ablate::testing::StatusIs;

class PathPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("path_policy_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "allowed" / "model");
    fs::create_directories(root_ / "outside");
    std::ofstream(root_ / "outside" / "config.json") << "{}";
    fs::create_directory_symlink(root_ / "outside", root_ / "allowed" / "escape");
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(PathPolicyTest, EmptyPolicyAllowsEverything) {
  PathPolicy p;
  EXPECT_FALSE(p.restricted());
  EXPECT_OK(p.Check("/etc/passwd", "path"));
}

TEST_F(PathPolicyTest, InsideIsAllowedOutsideIsOneMessage) {
  auto p = PathPolicy::Create({(root_ / "allowed").string()});
  ASSERT_OK(p.status());
  EXPECT_OK(p->Check((root_ / "allowed" / "model").string(), "path"));
  EXPECT_OK(p->Check((root_ / "allowed" / "not-yet-there").string(), "path"));
  const absl::Status exists = p->Check((root_ / "outside").string(), "models[0].path");
  EXPECT_THAT(exists, StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  for (const fs::path& q : {root_ / "nothing", root_ / "allowed" / ".." / "outside", root_ / "allowed" / "escape",
                            root_ / "allowed" / "escape" / "config.json", fs::path("relative/../x"), fs::path("")}) {
    const absl::Status s = p->Check(q.string(), "models[0].path");
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_)) << q;
    EXPECT_EQ(s.message(), exists.message()) << q;
  }
  // A sibling whose name starts with the allowed directory's name is outside.
  fs::create_directories(root_ / "allowed2");
  EXPECT_THAT(p->Check((root_ / "allowed2").string(), "x"),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST_F(PathPolicyTest, MissingDirectoryIsAnOperatorError) {
  EXPECT_THAT(PathPolicy::Create({(root_ / "nope").string()}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

}  // namespace
}  // namespace ablate
