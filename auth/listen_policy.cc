// listen_policy.cc: see listen_policy.h.
#include "auth/listen_policy.h"

#include <arpa/inet.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ablate::auth {

bool IsLoopbackAddress(absl::string_view address) {
  std::string host(address);
  if (absl::StartsWith(host, "ipv4:")) host = host.substr(5);
  if (absl::StartsWith(host, "ipv6:")) host = host.substr(5);
  if (!host.empty() && host[0] == '[') {
    const size_t end = host.find(']');
    if (end == std::string::npos) return false;
    host = host.substr(1, end - 1);
  } else if (host.find(':') != host.rfind(':')) {
    // A bare IPv6 address without a port.
  } else if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    static const in6_addr kLoopback = IN6ADDR_LOOPBACK_INIT;
    return memcmp(&v6, &kLoopback, sizeof(v6)) == 0;
  }
  return false;
}

absl::Status CheckListenPolicy(const ListenSecurity& s) {
  if (IsLoopbackAddress(s.address)) return absl::OkStatus();
  if (!s.auth) {
    if (s.insecure_allow_remote) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to listen on non-loopback address '", s.address,
                     "' without --auth-file (anyone who reaches the port could do anything); give "
                     "--auth-file and --tls-cert/--tls-key, or --insecure-allow-remote on a trusted network"));
  }
  if (!s.tls) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to listen on non-loopback address '", s.address,
                     "' with --auth-file but without TLS (tokens would cross the network in clear text); give "
                     "--tls-cert and --tls-key"));
  }
  return absl::OkStatus();
}

}  // namespace ablate::auth
