// grpc_security.cc: see grpc_security.h.
#include "auth/grpc_security.h"

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/support/client_interceptor.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ablate::auth {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " ", path, ": cannot read it"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string First(const grpc::AuthContext& ctx, const char* name) {
  std::vector<grpc::string_ref> v = ctx.FindPropertyValues(name);
  return v.empty() ? std::string() : std::string(v[0].data(), v[0].size());
}

// Runs the Authenticator on every call before any handler (or reflection)
// sees it; attaches the Caller as auth-context properties and strips the
// token from the metadata handlers see.
class TokenProcessor : public grpc::AuthMetadataProcessor {
 public:
  TokenProcessor(const Authenticator* authn, RefusedFn on_refused)
      : authn_(authn), on_refused_(std::move(on_refused)) {}

  bool IsBlocking() const override { return false; }  // in memory, no I/O

  grpc::Status Process(const InputMetadata& md, grpc::AuthContext* ctx, OutputMetadata* /*consumed*/,
                       OutputMetadata* /*response*/) override {
    // Health checks (load balancers, Kubernetes probes) need no token: they
    // reveal only whether the server is serving, and get no Caller.
    if (auto path = md.find(":path"); path != md.end()) {
      const absl::string_view p(path->second.data(), path->second.size());
      if (p == "/grpc.health.v1.Health/Check" || p == "/grpc.health.v1.Health/Watch") {
        return grpc::Status::OK;
      }
    }
    // The processor only gates the call. It attaches nothing to the auth
    // context: gRPC (1.51) hands every call of a connection the connection's
    // one AuthContext, so properties added here would be seen by the next
    // call on the same connection, which may carry another token. Handlers
    // authenticate their own call's metadata (CallerOf).
    std::string authorization;
    if (auto it = md.find("authorization"); it != md.end()) {
      authorization.assign(it->second.data(), it->second.size());
    }
    const std::string cn = First(*ctx, GRPC_X509_CN_PROPERTY_NAME);
    absl::StatusOr<Caller> caller = authn_->Authenticate(authorization, cn);
    if (!caller.ok()) {
      if (on_refused_) {
        std::string method;
        if (auto it = md.find(":path"); it != md.end()) method.assign(it->second.data(), it->second.size());
        on_refused_(method, std::string(caller.status().message()), cn);
      }
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(caller.status().message()));
    }
    return grpc::Status::OK;
  }

 private:
  const Authenticator* const authn_;
  const RefusedFn on_refused_;
};

class TokenInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(const std::string& header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      m->GetSendInitialMetadata()->insert({"authorization", header_});
    }
    m->Proceed();
  }

 private:
  const std::string header_;
};

class TokenInterceptorFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(const std::string& token) : header_("Bearer " + token) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new TokenInterceptor(header_);
  }

 private:
  const std::string header_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const ServerTlsOptions& tls,
                                                                               const Authenticator* authn,
                                                                               RefusedFn on_refused) {
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (tls.enabled()) {
    if (tls.cert_file.empty() || tls.key_file.empty()) {
      return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
    }
    grpc::SslServerCredentialsOptions o(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    ASSIGN_OR_RETURN(pair.cert_chain, ReadFile(tls.cert_file, "--tls-cert"));
    ASSIGN_OR_RETURN(pair.private_key, ReadFile(tls.key_file, "--tls-key"));
    o.pem_key_cert_pairs.push_back(std::move(pair));
    if (!tls.client_ca_file.empty()) {
      ASSIGN_OR_RETURN(o.pem_root_certs, ReadFile(tls.client_ca_file, "--tls-client-ca"));
      o.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    creds = grpc::SslServerCredentials(o);
  } else if (!tls.client_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  } else if (authn != nullptr && authn->enabled()) {
    creds = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  } else {
    return grpc::InsecureServerCredentials();
  }
  if (creds == nullptr) return absl::InvalidArgumentError("cannot build the server's TLS credentials");
  if (authn != nullptr) {
    creds->SetAuthMetadataProcessor(std::make_shared<TokenProcessor>(authn, std::move(on_refused)));
  }
  return creds;
}

absl::StatusOr<Caller> CallerOf(const grpc::ServerContextBase& ctx, const Authenticator* authn) {
  if (authn == nullptr) return Caller::Local();
  std::string authorization;
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    authorization.assign(it->second.data(), it->second.size());
  }
  // The certificate's CN belongs to the connection, so the shared context is
  // the right place to read it.
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  const std::string cn = auth ? First(*auth, GRPC_X509_CN_PROPERTY_NAME) : std::string();
  return authn->Authenticate(authorization, cn);
}

absl::StatusOr<ClientSecurity> LoadClientSecurity(const ClientSecurityOptions& o) {
  ClientSecurity s;
  s.tls_server_name = o.tls_server_name;
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both --tls-cert and --tls-key");
  }
  if (!o.tls_ca_file.empty() || !o.tls_cert_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!o.tls_ca_file.empty()) {
      ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(o.tls_ca_file, "--tls-ca"));
    }
    if (!o.tls_cert_file.empty()) {
      ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFile(o.tls_cert_file, "--tls-cert"));
      ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile(o.tls_key_file, "--tls-key"));
    }
    s.credentials = grpc::SslCredentials(ssl);
  }
  if (!o.token_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(o.token_file, "--token-file"));
    s.token = std::string(absl::StripAsciiWhitespace(text));
    if (s.token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--token-file ", o.token_file, ": empty"));
    }
  } else {
    s.token = std::string(absl::StripAsciiWhitespace(o.token));
  }
  return s;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const ClientSecurity& security,
                                           grpc::ChannelArguments args) {
  std::shared_ptr<grpc::ChannelCredentials> creds = security.credentials;
  if (creds == nullptr) {
    // A token without TLS goes only to a loopback coordinator, which then
    // serves local credentials (see MakeServerCredentials).
    creds =
        security.token.empty() ? grpc::InsecureChannelCredentials() : grpc::experimental::LocalCredentials(LOCAL_TCP);
  } else if (!security.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(security.tls_server_name);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!security.token.empty()) {
    interceptors.push_back(std::make_unique<TokenInterceptorFactory>(security.token));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, creds, args, std::move(interceptors));
}

void AddClientSecurityFlags(CLI::App* app, ClientSecurityOptions* o) {
  app->add_option("--tls-ca", o->tls_ca_file, "PEM CA that signed the coordinator's certificate (TLS)")
      ->envname("ABLATE_TLS_CA");
  app->add_option("--tls-cert", o->tls_cert_file, "client certificate (PEM) for mTLS")->envname("ABLATE_TLS_CERT");
  app->add_option("--tls-key", o->tls_key_file, "client private key (PEM) for mTLS")->envname("ABLATE_TLS_KEY");
  app->add_option("--tls-server-name", o->tls_server_name,
                  "name expected in the coordinator's certificate (default: the address's host)")
      ->envname("ABLATE_TLS_SERVER_NAME");
  app->add_option("--token-file", o->token_file, "file holding the bearer token (or env ABLATE_TOKEN)")
      ->envname("ABLATE_TOKEN_FILE");
  // Environment only in the help: a token on the command line shows in `ps`.
  app->add_option("--token", o->token, "")->envname("ABLATE_TOKEN")->group("");
}

}  // namespace ablate::auth
