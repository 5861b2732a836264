// cmd_auth.cc: the security commands of `ablate`:
//   token new --tenant T --role R [--name N]   a fresh random token (256 bits from
//                                              OpenSSL RAND_bytes) and its auth-file line
//   audit [--after ID] [--limit N] [--format table|json]
//                                              the coordinator's audit log (role admin)
// Errors: one line on stderr ("ablate: ...") and a non-zero exit code.
#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "ablate/v1/admin.grpc.pb.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/auth_config.h"
#include "auth/caller.h"
#include "auth/grpc_security.h"
#include "auth/token.h"
#include "cli/command_context.h"
#include "nlohmann/json.hpp"

namespace ablate::cli {
namespace {

struct TokenArgs {
  std::string tenant;
  std::string role;
  std::string name;
};

void NewToken(const TokenArgs& a, CommandContext* ctx) {
  if (!auth::ValidTenantName(a.tenant)) {
    return (void)ctx->Fail(absl::InvalidArgumentError("--tenant: 1-64 characters of A-Z a-z 0-9 . _ -"));
  }
  absl::StatusOr<auth::Role> role = auth::ParseRole(a.role);
  if (!role.ok()) return (void)ctx->Fail(role.status());
  absl::StatusOr<std::string> token = auth::NewToken();
  if (!token.ok()) return (void)ctx->Fail(token.status());
  std::cout << *token << "\n";
  std::cerr << "# the token is shown once; give it to its holder (ABLATE_TOKEN or --token-file).\n"
               "# add this line under 'tokens:' in the coordinator's --auth-file, then SIGHUP it:\n";
  std::cout << "  - {sha256: " << auth::Sha256Hex(*token) << ", tenant: " << a.tenant
            << ", role: " << auth::RoleName(*role);
  if (!a.name.empty()) std::cout << ", name: " << a.name;
  std::cout << "}\n";
}

struct AuditArgs {
  std::string coordinator = "127.0.0.1:50051";
  auth::ClientSecurityOptions security;
  int64_t after = 0;
  int limit = 1000;
  std::string format = "table";
};

void Audit(const AuditArgs& a, CommandContext* ctx) {
  if (a.format != "table" && a.format != "json") {
    return (void)ctx->Fail(absl::InvalidArgumentError("--format: table or json"));
  }
  absl::StatusOr<auth::ClientSecurity> security = auth::LoadClientSecurity(a.security);
  if (!security.ok()) return (void)ctx->Fail(security.status());
  auto stub = v1::Admin::NewStub(auth::MakeChannel(a.coordinator, *security));
  nlohmann::json rows = nlohmann::json::array();
  int64_t after = a.after;
  int left = a.limit;
  if (a.format == "table") {
    std::cout << "id\ttime (UTC)\tsubject\ttenant\trpc\tsweep\toutcome\tdetail\n";
  }
  while (left > 0) {
    v1::ListAuditRequest req;
    req.set_after_audit_id(after);
    req.set_page_size(std::min(left, 1000));
    v1::ListAuditResponse resp;
    grpc::ClientContext gctx;
    gctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    grpc::Status s = stub->ListAudit(&gctx, req, &resp);
    if (!s.ok()) {
      return (void)ctx->Fail(absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                                          absl::StrCat("audit (", a.coordinator, "): ", s.error_message())));
    }
    for (const v1::AuditEntry& e : resp.entries()) {
      const std::string when =
          absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(e.unix_ms()), absl::UTCTimeZone());
      if (a.format == "json") {
        rows.push_back({{"audit_id", e.audit_id()},
                        {"unix_ms", e.unix_ms()},
                        {"subject", e.subject()},
                        {"tenant", e.tenant()},
                        {"rpc", e.rpc()},
                        {"sweep_id", e.sweep_id()},
                        {"outcome", e.outcome()},
                        {"detail", e.detail()}});
      } else {
        std::cout << e.audit_id() << "\t" << when << "\t" << (e.subject().empty() ? "-" : e.subject()) << "\t"
                  << (e.tenant().empty() ? "-" : e.tenant()) << "\t" << e.rpc() << "\t" << e.sweep_id() << "\t"
                  << e.outcome() << "\t" << e.detail() << "\n";
      }
      --left;
    }
    if (resp.next_after_audit_id() == 0 || resp.entries().empty()) break;
    after = resp.next_after_audit_id();
  }
  if (a.format == "json") std::cout << rows.dump(2) << "\n";
}

}  // namespace

void RegisterAuthCommands(CLI::App* app, CommandContext* ctx) {
  {
    CLI::App* token = app->add_subcommand("token", "Bearer tokens for the coordinator's --auth-file");
    token->require_subcommand(1);
    auto args = std::make_shared<TokenArgs>();
    CLI::App* cmd =
        token->add_subcommand("new", "Print a fresh random token (256 bits) and its line for the auth file");
    cmd->add_option("--tenant", args->tenant, "tenant the token acts for")->required();
    cmd->add_option("--role", args->role, "admin, submitter, viewer or worker")->required();
    cmd->add_option("--name", args->name, "name in logs and the audit table (default: digest prefix)");
    cmd->callback([args, ctx] { NewToken(*args, ctx); });
  }
  {
    auto args = std::make_shared<AuditArgs>();
    CLI::App* cmd = app->add_subcommand("audit", "The coordinator's audit log (role admin)");
    cmd->add_option("--coordinator", args->coordinator, "coordinator address host:port")
        ->envname("ABLATE_COORDINATOR")
        ->capture_default_str();
    auth::AddClientSecurityFlags(cmd, &args->security);
    cmd->add_option("--after", args->after, "only rows after this audit id");
    cmd->add_option("--limit", args->limit, "at most this many rows")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_option("--format", args->format, "table or json")->capture_default_str();
    cmd->callback([args, ctx] { Audit(*args, ctx); });
  }
}

}  // namespace ablate::cli
