#pragma once
// TLS counters for /metrics (rendered when a TLS listener runs). Every label
// value is from a fixed set: the failure classes of tls/handshake_failure.hpp,
// and the protocols and ciphers the policy can negotiate
// (tls/server_context.hpp), anything else "other". Lock-free.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tls/handshake_failure.hpp"

namespace haul::gateway {

class TlsMetrics {
 public:
  TlsMetrics();
  void count_handshake(bool resumed, std::string_view protocol, std::string_view cipher);
  void count_failure(tls::HandshakeFailure failure);
  // The served certificate's notAfter (Unix seconds), after a load or reload.
  void set_certificate_not_after(int64_t unix_seconds);
  // haul_tls_handshakes_total{kind}, haul_tls_handshake_failures_total{reason},
  // haul_tls_negotiated_total{protocol,cipher} (non-zero pairs),
  // haul_tls_certificate_not_after_seconds.
  void render(std::string& out) const;

  uint64_t handshakes(bool resumed) const { return kinds_[resumed ? 1 : 0].load(std::memory_order_relaxed); }
  uint64_t failures(tls::HandshakeFailure failure) const {
    return failures_[static_cast<size_t>(failure)].load(std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> kinds_[2] = {};
  std::atomic<uint64_t> failures_[tls::kHandshakeFailures] = {};
  std::unique_ptr<std::atomic<uint64_t>[]> negotiated_;  // (protocol, cipher), "other" last in each
  std::atomic<int64_t> not_after_{0};
};

}  // namespace haul::gateway
