#include "gateway/tls_metrics.hpp"

#include <fmt/format.h>

#include "tls/server_context.hpp"

namespace haul::gateway {

namespace {

// Position of `name` in `known`, or known.size() ("other").
size_t index_of(std::string_view name, std::span<const std::string_view> known) {
  for (size_t i = 0; i < known.size(); ++i) {
    if (known[i] == name) return i;
  }
  return known.size();
}

std::string_view name_at(size_t i, std::span<const std::string_view> known) {
  return i < known.size() ? known[i] : std::string_view("other");
}

size_t cipher_slots() {
  return tls::policy_ciphers().size() + 1;
}
size_t pair_slots() {
  return (tls::policy_protocols().size() + 1) * cipher_slots();
}

}  // namespace

TlsMetrics::TlsMetrics() : negotiated_(new std::atomic<uint64_t>[pair_slots()]) {
  for (size_t i = 0; i < pair_slots(); ++i) negotiated_[i] = 0;
}

void TlsMetrics::count_handshake(bool resumed, std::string_view protocol, std::string_view cipher) {
  kinds_[resumed ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
  const size_t p = index_of(protocol, tls::policy_protocols());
  const size_t c = index_of(cipher, tls::policy_ciphers());
  negotiated_[p * cipher_slots() + c].fetch_add(1, std::memory_order_relaxed);
}

void TlsMetrics::count_failure(tls::HandshakeFailure failure) {
  failures_[static_cast<size_t>(failure)].fetch_add(1, std::memory_order_relaxed);
}

void TlsMetrics::set_certificate_not_after(int64_t unix_seconds) {
  not_after_.store(unix_seconds, std::memory_order_relaxed);
}

void TlsMetrics::render(std::string& out) const {
  out +=
      "# HELP haul_tls_handshakes_total Completed TLS handshakes: full, or resumed from a session ticket.\n"
      "# TYPE haul_tls_handshakes_total counter\n";
  out += fmt::format("haul_tls_handshakes_total{{kind=\"full\"}} {}\n", kinds_[0].load());
  out += fmt::format("haul_tls_handshakes_total{{kind=\"resumed\"}} {}\n", kinds_[1].load());
  out +=
      "# HELP haul_tls_handshake_failures_total TLS handshakes that failed, by reason.\n"
      "# TYPE haul_tls_handshake_failures_total counter\n";
  for (size_t i = 0; i < tls::kHandshakeFailures; ++i) {
    out += fmt::format("haul_tls_handshake_failures_total{{reason=\"{}\"}} {}\n",
                       tls::failure_label(static_cast<tls::HandshakeFailure>(i)), failures_[i].load());
  }
  out +=
      "# HELP haul_tls_negotiated_total Completed TLS handshakes by protocol version and cipher.\n"
      "# TYPE haul_tls_negotiated_total counter\n";
  for (size_t i = 0; i < pair_slots(); ++i) {
    const uint64_t n = negotiated_[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    out += fmt::format("haul_tls_negotiated_total{{protocol=\"{}\",cipher=\"{}\"}} {}\n",
                       name_at(i / cipher_slots(), tls::policy_protocols()),
                       name_at(i % cipher_slots(), tls::policy_ciphers()), n);
  }
  out +=
      "# HELP haul_tls_certificate_not_after_seconds When the served certificate expires (Unix time).\n"
      "# TYPE haul_tls_certificate_not_after_seconds gauge\n";
  out += fmt::format("haul_tls_certificate_not_after_seconds {}\n", not_after_.load());
}

}  // namespace haul::gateway
