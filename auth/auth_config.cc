// auth_config.cc: see auth_config.h.
#include "auth/auth_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ablate::auth {
namespace {

constexpr size_t kMaxAuthFileBytes = 16 << 20;

absl::Status CheckKeys(const YAML::Node& node, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (allowed.count(key) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key '", key, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> NonNegative(const YAML::Node& v, const std::string& where) {
  int64_t n = 0;
  try {
    n = v.as<int64_t>();
  } catch (const YAML::Exception&) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected a whole number"));
  }
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat(where, ": must be >= 0"));
  return n;
}

absl::StatusOr<TenantQuota> ParseQuota(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, ": expected a map"));
  RETURN_IF_ERROR(
      CheckKeys(node, {"queued_jobs", "leased_jobs", "sweeps", "submits_per_minute", "result_bytes", "weight"}, where));
  TenantQuota q;
  struct Field {
    const char* key;
    int64_t* out;
  };
  for (Field f :
       {Field{"queued_jobs", &q.queued_jobs}, Field{"leased_jobs", &q.leased_jobs}, Field{"sweeps", &q.sweeps},
        Field{"submits_per_minute", &q.submits_per_minute}, Field{"result_bytes", &q.result_bytes}}) {
    if (node[f.key]) {
      ASSIGN_OR_RETURN(*f.out, NonNegative(node[f.key], absl::StrCat(where, ".", f.key)));
    }
  }
  if (node["weight"]) {
    try {
      q.weight = node["weight"].as<double>();
    } catch (const YAML::Exception&) {
      q.weight = -1;
    }
    if (!(q.weight > 0 && q.weight <= 1e6)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".weight: expected a number in (0, 1e6]"));
    }
  }
  return q;
}

}  // namespace

bool ValidTenantName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

TenantQuota AuthConfig::QuotaOf(absl::string_view tenant) const {
  if (auto it = quotas.find(tenant); it != quotas.end()) return it->second;
  if (auto it = quotas.find("*"); it != quotas.end()) return it->second;
  return TenantQuota{};
}

absl::StatusOr<AuthConfig> ParseAuthConfig(absl::string_view yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    // The parser's message names a line and column, never the file's secrets.
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML (line ", e.mark.line + 1, ")"));
  }
  if (!root.IsMap()) return absl::InvalidArgumentError("expected a map with 'tokens' (and 'quotas')");
  try {
    RETURN_IF_ERROR(CheckKeys(root, {"tokens", "quotas"}, "auth file"));
    AuthConfig config;
    const YAML::Node tokens = root["tokens"];
    if (!tokens || !tokens.IsSequence()) {
      return absl::InvalidArgumentError("tokens: expected a list of {sha256, tenant, role}");
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const YAML::Node t = tokens[i];
      const std::string where = absl::StrCat("tokens[", i, "]");
      if (!t.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, ": expected a map"));
      RETURN_IF_ERROR(CheckKeys(t, {"sha256", "tenant", "role", "name"}, where));
      if (!t["sha256"] || !t["tenant"] || !t["role"]) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": needs sha256, tenant and role"));
      }
      const std::string hex = absl::AsciiStrToLower(t["sha256"].as<std::string>());
      if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".sha256: expected 64 hex digits (the SHA-256 of the token)"));
      }
      if (!seen.insert(hex).second) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": the same token is listed twice"));
      }
      TokenEntry e;
      e.sha256 = absl::HexStringToBytes(hex);
      e.tenant = t["tenant"].as<std::string>();
      if (!ValidTenantName(e.tenant)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".tenant: 1-64 characters of A-Z a-z 0-9 . _ -"));
      }
      absl::StatusOr<Role> role = ParseRole(t["role"].as<std::string>());
      if (!role.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", role.status().message()));
      e.role = *role;
      e.name = t["name"] ? t["name"].as<std::string>() : hex.substr(0, 12);
      if (e.name.empty() || e.name.size() > 64) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".name: 1-64 characters"));
      }
      config.tokens.push_back(std::move(e));
    }
    if (const YAML::Node quotas = root["quotas"]) {
      if (!quotas.IsMap()) return absl::InvalidArgumentError("quotas: expected a map tenant -> limits");
      for (const auto& kv : quotas) {
        const std::string tenant = kv.first.as<std::string>();
        if (tenant != "*" && !ValidTenantName(tenant)) {
          return absl::InvalidArgumentError(absl::StrCat("quotas: bad tenant name '", tenant, "'"));
        }
        ASSIGN_OR_RETURN(TenantQuota q, ParseQuota(kv.second, absl::StrCat("quotas.", tenant)));
        config.quotas[tenant] = q;
      }
    }
    return config;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected value (line ", e.mark.line + 1, ")"));
  }
}

absl::StatusOr<AuthConfig> LoadAuthConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("auth file ", path, ": cannot read it"));
  std::string text(kMaxAuthFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxAuthFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("auth file ", path, ": larger than 16 MiB"));
  }
  absl::StatusOr<AuthConfig> config = ParseAuthConfig(text);
  if (!config.ok()) {
    return absl::Status(config.status().code(), absl::StrCat("auth file ", path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace ablate::auth
