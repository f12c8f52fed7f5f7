#pragma once
// TLS checks of `haul doctor --gateway`, sans-IO: they read what the
// handshake probe saw (PathResult::tls) and return Findings.
//   tls.wire         is the path encrypted at all (plain http:// over a network warns)
//   tls.protocol     TLS 1.3 (one round trip for a new connection), 1.2 (two)
//   tls.handshake    the handshakes' time in round trips of the measured RTT
//   tls.resumption   whether later connections resumed an earlier session
//   tls.certificate  the server certificate's expiry

#include <vector>

#include "doctor/finding.hpp"
#include "doctor/path_result.hpp"

namespace haul::doctor {

// A certificate that expires within this many days warns.
inline constexpr int kCertificateWarnDays = 21;

Finding check_tls_wire(const PathResult& path);
Finding check_tls_protocol(const PathResult& path);
Finding check_tls_handshake(const PathResult& path);
Finding check_tls_resumption(const PathResult& path);
Finding check_tls_certificate(const PathResult& path);

// tls.wire alone for a plain gateway; all five for an https:// one.
std::vector<Finding> run_tls_checks(const PathResult& path);

}  // namespace haul::doctor
