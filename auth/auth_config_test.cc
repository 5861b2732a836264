// auth_config_test.cc: the auth file: tokens, quotas, and the errors a typo gets.
#include "auth/auth_config.h"

#include "auth/token.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::auth {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

TEST(AuthConfigTest, ParsesTokensAndQuotas) {
  const std::string text = "tokens:\n  - {sha256: " + Sha256Hex("t1") +
                           ", tenant: team-a, role: submitter, name: alice}\n"
                           "  - {sha256: " +
                           Sha256Hex("t2") +
                           ", tenant: ops, role: admin}\n"
                           "quotas:\n  team-a: {queued_jobs: 10, leased_jobs: 2, sweeps: 3, "
                           "submits_per_minute: 4, result_bytes: 5, weight: 2.5}\n"
                           "  '*': {sweeps: 1}\n";
  absl::StatusOr<AuthConfig> c = ParseAuthConfig(text);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->tokens.size(), 2u);
  EXPECT_EQ(c->tokens[0].sha256, Sha256("t1"));
  EXPECT_EQ(c->tokens[0].tenant, "team-a");
  EXPECT_EQ(c->tokens[0].role, Role::kSubmitter);
  EXPECT_EQ(c->tokens[0].name, "alice");
  EXPECT_EQ(c->tokens[1].name, Sha256Hex("t2").substr(0, 12));
  TenantQuota a = c->QuotaOf("team-a");
  EXPECT_EQ(a.queued_jobs, 10);
  EXPECT_EQ(a.leased_jobs, 2);
  EXPECT_EQ(a.sweeps, 3);
  EXPECT_EQ(a.submits_per_minute, 4);
  EXPECT_EQ(a.result_bytes, 5);
  EXPECT_DOUBLE_EQ(a.weight, 2.5);
  EXPECT_EQ(c->QuotaOf("other").sweeps, 1);  // the "*" default
}

TEST(AuthConfigTest, RejectsMistakesNamingTheEntry) {
  const std::string ok_hash = Sha256Hex("x");
  EXPECT_THAT(ParseAuthConfig("tokens:\n  - {sha256: abc, tenant: a, role: admin}\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tokens[0].sha256")));
  EXPECT_THAT(ParseAuthConfig("tokens:\n  - {sha256: " + ok_hash + ", tenant: a, role: root}\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role 'root'")));
  EXPECT_THAT(ParseAuthConfig("tokens:\n  - {sha256: " + ok_hash + ", tenant: 'a b', role: admin}\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tokens[0].tenant")));
  EXPECT_THAT(ParseAuthConfig("tokens:\n  - {sha256: " + ok_hash + ", tenant: a, role: admin}\n" +
                              "  - {sha256: " + ok_hash + ", tenant: b, role: admin}\n")
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
  EXPECT_THAT(ParseAuthConfig("tokens: []\nquotas:\n  a: {queud_jobs: 1}\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key 'queud_jobs'")));
  EXPECT_THAT(ParseAuthConfig("tokens: []\nquotas:\n  a: {sweeps: -1}\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quotas.a.sweeps")));
  EXPECT_THAT(ParseAuthConfig("tokens: [\n").status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("YAML")));
  EXPECT_THAT(LoadAuthConfig("/nonexistent/auth.yaml").status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace ablate::auth
