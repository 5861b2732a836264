// authenticator_test.cc: tokens to callers, refusals, reload keeping the old
// config on a bad file, and the roles table.
#include "auth/authenticator.h"

#include <filesystem>
#include <fstream>

#include "auth/permissions.h"
#include "auth/rate_limiter.h"
#include "auth/token.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::auth {
namespace {

using ::ablate::testing::StatusIs;

std::string Line(const std::string& token, const std::string& tenant, const std::string& role) {
  return "  - {sha256: " + Sha256Hex(token) + ", tenant: " + tenant + ", role: " + role + "}\n";
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

TEST(AuthenticatorTest, DisabledMakesEveryoneTheLocalAdmin) {
  auto a = Authenticator::Disabled();
  EXPECT_FALSE(a->enabled());
  absl::StatusOr<Caller> c = a->Authenticate("", "");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->admin());
  EXPECT_EQ(c->tenant, kDefaultTenant);
  EXPECT_EQ(a->Authenticate("", "worker-7")->subject, "cert:worker-7");
}

TEST(AuthenticatorTest, TokensMapToTenantRoleAndSubject) {
  const std::string path = ::testing::TempDir() + "/auth_test.yaml";
  Write(path, "tokens:\n" + Line("tok-a", "team-a", "submitter") + Line("tok-w", "ops", "worker"));
  auto a = Authenticator::FromFile(path);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<Caller> c = (*a)->Authenticate("Bearer tok-a", "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tenant, "team-a");
  EXPECT_EQ(c->role, Role::kSubmitter);
  EXPECT_EQ(c->subject, "token:" + Sha256Hex("tok-a").substr(0, 12));
  EXPECT_EQ((*a)->Authenticate("Bearer tok-w", "host1")->subject,
            "token:" + Sha256Hex("tok-w").substr(0, 12) + "/cert:host1");
  EXPECT_THAT((*a)->Authenticate("", "").status(), StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  EXPECT_THAT((*a)->Authenticate("Bearer nope", "").status(),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  EXPECT_THAT((*a)->Authenticate("tok-a", "").status(), StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));

  // Reload: the new file replaces the old; a bad file keeps it.
  Write(path, "tokens:\n" + Line("tok-b", "team-b", "viewer"));
  ASSERT_TRUE((*a)->Reload().ok());
  EXPECT_THAT((*a)->Authenticate("Bearer tok-a", "").status(),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  EXPECT_EQ((*a)->Authenticate("Bearer tok-b", "")->tenant, "team-b");
  Write(path, "tokens: [ {sha256: bad\n");
  EXPECT_THAT((*a)->Reload(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_EQ((*a)->Authenticate("Bearer tok-b", "")->tenant, "team-b");
}

TEST(PermissionsTest, RolesTable) {
  Caller c;
  c.role = Role::kViewer;
  EXPECT_TRUE(Authorize(c, Action::kRead).ok());
  EXPECT_THAT(Authorize(c, Action::kSubmit), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(Authorize(c, Action::kWork), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  c.role = Role::kSubmitter;
  EXPECT_TRUE(Authorize(c, Action::kCancel).ok());
  EXPECT_THAT(Authorize(c, Action::kAdmin), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  c.role = Role::kWorker;
  EXPECT_TRUE(Authorize(c, Action::kWork).ok());
  EXPECT_THAT(Authorize(c, Action::kRead), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  c.role = Role::kAdmin;
  for (Action a : {Action::kRead, Action::kSubmit, Action::kCancel, Action::kWork, Action::kAdmin}) {
    EXPECT_TRUE(Authorize(c, a).ok());
  }
  EXPECT_TRUE(c.CanSee("anyone"));
}

TEST(RateLimiterTest, SlidingWindowPerKey) {
  RateLimiter r(60000);
  EXPECT_TRUE(r.Allow("a", 2, 0));
  EXPECT_TRUE(r.Allow("a", 2, 1000));
  EXPECT_FALSE(r.Allow("a", 2, 2000));
  EXPECT_TRUE(r.Allow("b", 2, 2000));
  EXPECT_TRUE(r.Allow("a", 2, 60001));  // the first one left the window
  EXPECT_TRUE(r.Allow("a", 0, 60001));  // 0: unlimited
}

}  // namespace
}  // namespace ablate::auth
