#pragma once
// SIGHUP: the token file and the TLS certificate and key are read again and
// applied together, or not at all. Connections stay: requests in progress
// keep the token table they were admitted with, TLS connections the context
// they started with; new ones get the new. A file that does not load (a
// typo, a half-written file, a key that does not match the certificate)
// leaves everything as it was and logs one line naming it. The master key
// file and the stores are not reloaded (restart for those).

#include <string>

#include "gateway/context.hpp"
#include "tls/server_context.hpp"

namespace haul::gateway {

class TlsServer;

// Blocking (reads files): call it on the blocking pool. Calls are
// serialized. `tls` may be null (no TLS listener). Returns whether the new
// configuration was applied; counts haul_reloads_total either way.
bool reload(GatewayContext& ctx, TlsServer* tls);

// "SUBJECT (names: ...), valid until DATE UTC", with a warning when expired
// or expiring within 14 days: the log line of a (re)load.
std::string describe_certificate(const tls::CertificateInfo& cert);

}  // namespace haul::gateway
