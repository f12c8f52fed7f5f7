#include "doctor/tls_checks.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "core/utc_time.hpp"
#include "doctor/units.hpp"

namespace haul::doctor {

namespace {

constexpr const char* kTlsFlags = "haul gateway --tls-listen 0.0.0.0:8443 --tls-cert CERT --tls-key KEY";

Finding named(const char* id) {
  Finding f;
  f.id = id;
  return f;
}

Finding not_tls(const char* id) {
  Finding f = named(id);
  f.status = Status::skip;
  f.value = "not measured";
  f.why = "no TLS handshake with the gateway completed (see notes)";
  return f;
}

// Round trips a new connection's handshake needs before the request can go.
int full_handshake_round_trips(const std::string& protocol) {
  return protocol == "TLSv1.3" ? 1 : 2;
}

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::optional<double> median_tls_s(const TlsResult& t, bool resumed) {
  std::vector<double> v;
  for (const auto& h : t.handshakes)
    if (h.resumed == resumed) v.push_back(h.tls_s);
  return median(std::move(v));
}

// "203.0 ms (1.0 RTT)"; on a path under 1 ms (loopback, a LAN) the
// handshake is all CPU and round trips say nothing.
std::string in_round_trips(double seconds, const std::optional<double>& rtt_s) {
  if (!rtt_s || *rtt_s < 0.001) return human_ms(seconds);
  return fmt::format("{} ({:.1f} RTT)", human_ms(seconds), seconds / *rtt_s);
}

std::string utc_date(int64_t unix_seconds) {
  return format_utc(unix_seconds, "%Y-%m-%d %H:%M UTC");
}

}  // namespace

Finding check_tls_wire(const PathResult& p) {
  Finding f = named("tls.wire");
  if (p.url.starts_with("https://")) {
    f.value = "TLS";
    f.why = "bytes and the bearer token cross the path encrypted";
    return f;
  }
  if (p.local) {
    f.value = "plain HTTP on this host's own address";
    f.why = "nothing crosses a network; over one, serve TLS";
    return f;
  }
  f.value = "plain HTTP";
  f.recommended = "https://";
  f.flag(Status::warn, "anyone on the path reads the data and the bearer token, and can change both",
         std::string(kTlsFlags) + "  # haul tls-init DIR makes a CA and certificate");
  return f;
}

Finding check_tls_protocol(const PathResult& p) {
  if (!p.tls) return not_tls("tls.protocol");
  const TlsResult& t = *p.tls;
  Finding f = named("tls.protocol");
  f.value = fmt::format("{}, {}, ALPN {}", t.protocol, t.cipher, t.alpn.empty() ? "none" : t.alpn);
  f.recommended = "TLSv1.3";
  if (t.protocol == "TLSv1.3") {
    f.why = "a new connection's handshake takes one round trip";
    return f;
  }
  if (t.protocol == "TLSv1.2") {
    f.flag(Status::warn,
           "TLS 1.2 takes two round trips before a new connection's request, TLS 1.3 one: on a long link that is "
           "a whole RTT per connection",
           "let TLS 1.3 through: haul gateway offers it; check any proxy or load balancer in between");
    return f;
  }
  f.flag(Status::fail, "protocols before TLS 1.2 have known breaks; haul gateway refuses them",
         "put the gateway's own TLS listener on the path: " + std::string(kTlsFlags));
  return f;
}

Finding check_tls_handshake(const PathResult& p) {
  if (!p.tls || p.tls->handshakes.empty()) return not_tls("tls.handshake");
  const TlsResult& t = *p.tls;
  Finding f = named("tls.handshake");
  const auto full = median_tls_s(t, false), resumed = median_tls_s(t, true);
  std::string value;
  if (full) value = "full " + in_round_trips(*full, p.rtt_s);
  if (resumed) value += (value.empty() ? "" : ", ") + std::string("resumed ") + in_round_trips(*resumed, p.rtt_s);
  f.value = value + fmt::format(" (median of {} connections)", t.handshakes.size());
  const int round_trips = full_handshake_round_trips(t.protocol);
  f.recommended = fmt::format("{} RTT", round_trips);
  f.why = "the handshake costs its round trips and the gateway's signature, nothing more";
  // Beyond its round trips, a handshake may take half an RTT or 20 ms of
  // CPU (an RSA 2048 signature is ~1 ms; a sanitizer build is much slower).
  const double rtt = p.rtt_s.value_or(0);
  const double allowed = round_trips * rtt + std::max(0.5 * rtt, 0.020);
  if (full && *full > allowed) {
    f.flag(Status::warn,
           "the full handshake takes longer than its round trips: a busy gateway CPU, a slow key (RSA 4096 signs "
           "~30x slower than ECDSA P-256), or a middlebox",
           "check the gateway's CPU; haul tls-init makes an ECDSA P-256 key");
  }
  return f;
}

Finding check_tls_resumption(const PathResult& p) {
  if (!p.tls || p.tls->handshakes.empty()) return not_tls("tls.resumption");
  const TlsResult& t = *p.tls;
  Finding f = named("tls.resumption");
  if (t.handshakes.size() < 2) {
    f.status = Status::skip;
    f.value = "one connection: nothing to resume";
    f.why = "run with --handshakes 2 or more";
    return f;
  }
  const size_t later = t.handshakes.size() - 1;
  const auto resumed = static_cast<size_t>(
      std::count_if(t.handshakes.begin() + 1, t.handshakes.end(), [](const TlsHandshake& h) { return h.resumed; }));
  f.value = fmt::format("{} of {} later connections resumed", resumed, later);
  f.recommended = "all";
  f.why =
      "a resumed handshake skips the certificate and its checks: cheaper for both ends, and a fresh haul "
      "process resumes from its session file";
  if (resumed == later) return f;
  if (resumed == 0) {
    f.flag(Status::warn,
           "no connection resumed: every new connection pays a full handshake; the gateway issues session tickets, "
           "so something in between (a proxy, a load balancer with several keys) does not",
           "let TLS pass through to the gateway, or share session ticket keys across the proxy's servers");
  } else {
    f.flag(Status::warn, "some connections resumed, others did not: sessions are refused now and then",
           "check for several gateways behind one name without shared ticket keys");
  }
  return f;
}

Finding check_tls_certificate(const PathResult& p) {
  if (!p.tls) return not_tls("tls.certificate");
  const TlsResult& t = *p.tls;
  Finding f = named("tls.certificate");
  if (!t.not_after_unix) {
    f.status = Status::skip;
    f.value = "no certificate seen";
    f.why = "the server sent none, or it could not be read";
    return f;
  }
  const int64_t left = *t.not_after_unix - t.checked_at_unix;
  const int64_t days = left / 86400;
  f.value = fmt::format("{}, expires {} ({})", t.subject, utc_date(*t.not_after_unix),
                        left < 0 ? "expired" : fmt::format("in {} days", days));
  f.recommended = fmt::format("more than {} days left", kCertificateWarnDays);
  f.why = "an expired certificate stops every new connection";
  const std::string fix =
      "renew it, then `kill -HUP` the gateway: it reloads --tls-cert and --tls-key without "
      "dropping connections";
  if (left < 0) {
    f.flag(Status::fail, "the certificate has expired: clients that verify it refuse new connections", fix);
  } else if (days < kCertificateWarnDays) {
    f.flag(Status::warn, fmt::format("the certificate expires in {} days", days), fix);
  }
  return f;
}

std::vector<Finding> run_tls_checks(const PathResult& path) {
  if (!path.url.starts_with("https://")) return {check_tls_wire(path)};
  return {check_tls_wire(path), check_tls_protocol(path), check_tls_handshake(path), check_tls_resumption(path),
          check_tls_certificate(path)};
}

}  // namespace haul::doctor
