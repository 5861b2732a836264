// grpc_security.h: the gRPC side of auth, in one place: server credentials
// (TLS, mTLS) with a metadata processor that authenticates EVERY call
// (reflection and unknown methods included) through the Authenticator, the
// Caller of a call for the service adapters, and the channel every client
// (`ablate`, `ablate-worker`, tests) connects with: TLS / mTLS credentials and
// the token sent as "authorization: Bearer <token>" on every call.
//
// The only calls admitted without a token are gRPC health checks
// (/grpc.health.v1.Health/Check and /Watch).
//
// Server credentials by configuration:
//   TLS files given       -> SSL (client CA given: client certificate required),
//                            processor attached;
//   no TLS, auth on       -> local TCP credentials (loopback peers only),
//                            processor attached;
//   no TLS, auth off      -> insecure, as before (every caller Caller::Local()).
// Thread-safety: functions are thread-safe; the processor is called by gRPC
// from many threads and only reads the (thread-safe) Authenticator.
//
//   ASSIGN_OR_RETURN(auto creds, MakeServerCredentials(tls, authn.get(), on_refused));
//   ASSIGN_OR_RETURN(ClientSecurity sec, LoadClientSecurity(options));
//   auto stub = v1::Coordinator::NewStub(MakeChannel("10.0.0.5:50051", sec));
#ifndef ABLATE_AUTH_GRPC_SECURITY_H_
#define ABLATE_AUTH_GRPC_SECURITY_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "auth/caller.h"

namespace CLI {
class App;
}

namespace ablate::auth {

// ---- server ----

struct ServerTlsOptions {
  std::string cert_file;       // PEM certificate chain (--tls-cert)
  std::string key_file;        // PEM private key (--tls-key)
  std::string client_ca_file;  // PEM CA; set: client certificates required (--tls-client-ca)
  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Called for each call refused for lack of a valid token: (method if gRPC
// tells it, else "", the reason, the client certificate's CN or "").
using RefusedFn =
    std::function<void(const std::string& method, const std::string& reason, const std::string& certificate)>;

// The credentials for the listening port (see the table above). InvalidArgument
// for half a TLS configuration, NotFound for unreadable files. `authn` must
// outlive the server.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const ServerTlsOptions& tls,
                                                                               const Authenticator* authn,
                                                                               RefusedFn on_refused);

// The Caller of this call: `authn` applied to this call's own
// `authorization` metadata and the connection's client-certificate CN;
// Caller::Local() when `authn` is null (no authentication configured).
// Handlers call it for every call: never cache a caller per connection (a
// connection may carry calls with different tokens, e.g. channels sharing a
// subchannel, or a proxy).
absl::StatusOr<Caller> CallerOf(const grpc::ServerContextBase& ctx, const Authenticator* authn);

// ---- clients ----

struct ClientSecurityOptions {
  std::string tls_ca_file;      // PEM CA to verify the coordinator (--tls-ca, ABLATE_TLS_CA)
  std::string tls_cert_file;    // client certificate for mTLS (--tls-cert, ABLATE_TLS_CERT)
  std::string tls_key_file;     // its key (--tls-key, ABLATE_TLS_KEY)
  std::string token_file;       // file holding the token (--token-file, ABLATE_TOKEN_FILE)
  std::string token;            // the token itself (ABLATE_TOKEN); token_file wins
  std::string tls_server_name;  // expected name in the server certificate (default: the host)
};

// What LoadClientSecurity read: ready to build channels.
struct ClientSecurity {
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: plain text
  std::string token;                                      // empty: none sent
  std::string tls_server_name;
};

// Reads the files. NotFound for unreadable files, InvalidArgument for a
// client certificate without key (or the reverse), or an empty token file.
absl::StatusOr<ClientSecurity> LoadClientSecurity(const ClientSecurityOptions& options);
// A channel to `address` with the credentials and the token interceptor.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const ClientSecurity& security,
                                           grpc::ChannelArguments args = {});
// --tls-ca, --tls-cert, --tls-key, --token-file, --tls-server-name, with their
// ABLATE_* environment variables, and ABLATE_TOKEN (environment only).
// `options` must outlive app->parse().
void AddClientSecurityFlags(CLI::App* app, ClientSecurityOptions* options);

}  // namespace ablate::auth

#endif  // ABLATE_AUTH_GRPC_SECURITY_H_
