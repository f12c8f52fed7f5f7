#include "gateway/metrics.hpp"

#include <fmt/format.h>

#include <array>

#include "core/status_label.hpp"

namespace haul::gateway {

std::string_view method_label(std::string_view method) noexcept {
  static constexpr std::array<std::string_view, 10> kKnown = {"GET",     "HEAD",    "PUT",   "POST",  "DELETE",
                                                              "OPTIONS", "CONNECT", "TRACE", "PATCH", "-"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(value * 1e6), std::memory_order_relaxed);
}

void Histogram::render(const std::string& name, std::string& out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i], cumulative);
  }
  cumulative += counts_[bounds_.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
  out += fmt::format("{}_sum {}\n", name, static_cast<double>(sum_micros_.load()) / 1e6);
  out += fmt::format("{}_count {}\n", name, total_.load());
}

Metrics::Metrics()
    : request_seconds_({0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}),
      requests_per_connection_({1, 2, 5, 10, 20, 50, 100, 1000, 10000}) {}

void Metrics::count_request(std::string_view method, int status, double seconds) {
  request_seconds_.observe(seconds);
  std::pair<std::string_view, std::string> labels{method_label(method), status_label(status)};
  std::lock_guard lock(mutex_);
  ++requests_[std::move(labels)];
}

void Metrics::count_cut(CutReason reason) {
  cuts_[static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
}

namespace {
constexpr std::array<std::string_view, 4> kH2AbuseNames{"rapid_reset", "control_flood", "header_flood", "protocol"};
}  // namespace

void Metrics::count_connection_protocol(std::string_view protocol) {
  (protocol == "h2" ? connections_h2 : connections_http1).fetch_add(1, std::memory_order_relaxed);
}

void Metrics::count_h2_abuse(std::string_view kind) {
  for (size_t i = 0; i < kH2AbuseNames.size(); ++i) {
    if (kH2AbuseNames[i] == kind) {
      h2_abuse_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  h2_abuse_.back().fetch_add(1, std::memory_order_relaxed);  // anything else is a protocol error
}

void Metrics::count_connection_closed(uint64_t requests_served) {
  requests_per_connection_.observe(static_cast<double>(requests_served));
}

void Metrics::add_source(std::function<void(std::string&)> source) {
  std::lock_guard lock(mutex_);
  sources_.push_back(std::move(source));
}

namespace {

// One scalar metric in Prometheus' text format: its HELP, TYPE and value.
template <typename Value>
void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help, Value value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  out.reserve(4096);
  append_metric(out, "haul_connections_accepted_total", "counter", "TCP connections accepted by the gateway.",
                connections_accepted.load());
  append_metric(out, "haul_connections_open", "gauge", "Connections currently open.", connections_open.load());
  append_metric(out, "haul_connections_evicted_total", "counter",
                "Idle connections closed to make room at the connection limit.", connections_evicted.load());
  append_metric(out, "haul_connections_refused_total", "counter",
                "New connections answered 503 at the connection limit.", connections_refused.load());
  out +=
      "# HELP haul_connections_protocol_total Connections by the protocol they spoke (ALPN over TLS; the "
      "HTTP/2 preface on the plain listener).\n# TYPE haul_connections_protocol_total counter\n";
  out += fmt::format("haul_connections_protocol_total{{protocol=\"http1\"}} {}\n", connections_http1.load());
  out += fmt::format("haul_connections_protocol_total{{protocol=\"h2\"}} {}\n", connections_h2.load());
  append_metric(out, "haul_h2_streams_total", "counter", "HTTP/2 streams (requests) opened by clients.",
                h2_streams.load());
  append_metric(out, "haul_h2_streams_open", "gauge", "HTTP/2 streams whose request is being served now.",
                h2_streams_open.load());
  out +=
      "# HELP haul_h2_goaway_total HTTP/2 connections ended with GOAWAY for abuse, by the limit they hit.\n"
      "# TYPE haul_h2_goaway_total counter\n";
  for (size_t i = 0; i < kH2AbuseNames.size(); ++i) {
    out += fmt::format("haul_h2_goaway_total{{reason=\"{}\"}} {}\n", kH2AbuseNames[i], h2_abuse_[i].load());
  }
  append_metric(out, "haul_bytes_received_total", "counter", "Request body bytes received.", bytes_received.load());
  append_metric(out, "haul_bytes_sent_total", "counter", "Response body bytes sent.", bytes_sent.load());
  append_metric(out, "haul_encrypt_seconds_total", "counter", "Time spent sealing segments.",
                static_cast<double>(encrypt_nanos.load()) / 1e9);
  append_metric(out, "haul_decrypt_seconds_total", "counter", "Time spent opening segments.",
                static_cast<double>(decrypt_nanos.load()) / 1e9);
  append_metric(out, "haul_striped_uploads_completed_total", "counter", "Striped uploads sealed into an object.",
                striped_uploads_completed.load());
  append_metric(out, "haul_striped_uploads_expired_total", "counter",
                "Striped uploads dropped before their last stripe arrived.", striped_uploads_expired.load());
  append_metric(out, "haul_requests_over_token_limit_total", "counter",
                "Requests refused with 429: their token had --max-requests-per-token in progress.",
                requests_over_token_limit.load());
  out +=
      "# HELP haul_reloads_total Reloads on SIGHUP (token file, TLS certificate and key): applied, or "
      "failed and the running configuration kept.\n# TYPE haul_reloads_total counter\n";
  out += fmt::format("haul_reloads_total{{result=\"ok\"}} {}\n", reloads_done.load());
  out += fmt::format("haul_reloads_total{{result=\"failed\"}} {}\n", reloads_failed.load());
  out +=
      "# HELP haul_responses_cut_total Responses cut after their status line, by reason.\n"
      "# TYPE haul_responses_cut_total counter\n";
  static constexpr std::array<const char*, kCutReasons> kReasonNames{"slow_reader", "send_timeout", "peer_gone",
                                                                     "failed"};
  for (size_t i = 0; i < kCutReasons; ++i) {
    out += fmt::format("haul_responses_cut_total{{reason=\"{}\"}} {}\n", kReasonNames[i], cuts_[i].load());
  }
  out +=
      "# HELP haul_request_duration_seconds Time from request header to the end of the response.\n"
      "# TYPE haul_request_duration_seconds histogram\n";
  request_seconds_.render("haul_request_duration_seconds", out);
  out +=
      "# HELP haul_requests_per_connection Requests served on each closed connection.\n"
      "# TYPE haul_requests_per_connection histogram\n";
  requests_per_connection_.render("haul_requests_per_connection", out);
  std::lock_guard lock(mutex_);
  out +=
      "# HELP haul_requests_total Requests answered, by method and status code.\n"
      "# TYPE haul_requests_total counter\n";
  for (const auto& [labels, count] : requests_) {
    out += fmt::format("haul_requests_total{{method=\"{}\",code=\"{}\"}} {}\n", labels.first, labels.second, count);
  }
  for (const auto& source : sources_) source(out);
  return out;
}

}  // namespace haul::gateway
