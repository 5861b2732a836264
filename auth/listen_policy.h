// listen_policy.h: may the coordinator listen on this address with this
// security? Without an auth file only loopback addresses are allowed, unless
// the operator says --insecure-allow-remote; an auth file without TLS is
// loopback-only too, whatever the flags (tokens would cross the network in
// clear text).
// Thread-safety: pure functions.
//
//   RETURN_IF_ERROR(CheckListenPolicy({.address = "0.0.0.0:50051", .auth = true, .tls = true}));
#ifndef ABLATE_AUTH_LISTEN_POLICY_H_
#define ABLATE_AUTH_LISTEN_POLICY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ablate::auth {

struct ListenSecurity {
  std::string address;                 // host:port as given to --listen
  bool auth = false;                   // --auth-file given
  bool tls = false;                    // --tls-cert/--tls-key given
  bool insecure_allow_remote = false;  // --insecure-allow-remote
};

// True for 127.0.0.0/8, ::1 and "localhost" (with or without a port).
bool IsLoopbackAddress(absl::string_view address);
// OK, or FailedPrecondition saying which flag is missing.
absl::Status CheckListenPolicy(const ListenSecurity& s);

}  // namespace ablate::auth

#endif  // ABLATE_AUTH_LISTEN_POLICY_H_
