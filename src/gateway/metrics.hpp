#pragma once
// Gateway counters and histograms, rendered as Prometheus text. Lock-free
// counters on the hot path; the per-(method,code) map takes a short lock once
// per request.
//
// Every label value comes from a fixed set, whatever clients send (an
// unauthenticated client chooses the method: 20 000 distinct ones once made
// 20 000 series and an 81 MB /metrics): see method_label and status_label.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haul::gateway {

// The "method" label: the RFC 9110 methods and PATCH keep their name, "-"
// stays "-" (a request too malformed to have one), anything else is "other".
std::string_view method_label(std::string_view method) noexcept;

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // Appends "name_bucket{le=..} n", "name_sum", "name_count" lines.
  void render(const std::string& name, std::string& out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, plus +Inf
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

// Why a response was cut after its status line went out.
enum class CutReason {
  slow_reader,   // below the minimum send rate (--min-send-rate)
  send_timeout,  // one write pending longer than --body-timeout
  peer_gone,     // the client closed or reset the connection
  failed,        // the gateway failed midway (integrity, store error)
};
inline constexpr size_t kCutReasons = 4;

class Metrics {
 public:
  Metrics();

  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<int64_t> connections_open{0};
  std::atomic<uint64_t> bytes_received{0};  // request bodies
  std::atomic<uint64_t> bytes_sent{0};      // response bodies
  std::atomic<uint64_t> encrypt_nanos{0};
  std::atomic<uint64_t> decrypt_nanos{0};
  std::atomic<uint64_t> striped_uploads_completed{0};  // stripes sealed into an object
  std::atomic<uint64_t> striped_uploads_expired{0};    // dropped before their last stripe came
  std::atomic<uint64_t> connections_evicted{0};        // idle ones closed to make room at --max-connections
  std::atomic<uint64_t> connections_refused{0};        // new ones answered 503 at --max-connections
  std::atomic<uint64_t> requests_over_token_limit{0};  // answered 429 (--max-requests-per-token)
  std::atomic<uint64_t> reloads_done{0};               // SIGHUP reloads applied
  std::atomic<uint64_t> reloads_failed{0};             // SIGHUP reloads refused (the running configuration kept)

  // Connections by the protocol they spoke (HTTP/1.1, HTTP/2), and HTTP/2's own.
  std::atomic<uint64_t> connections_http1{0};
  std::atomic<uint64_t> connections_h2{0};
  std::atomic<uint64_t> h2_streams{0};                        // streams opened by peers (each one request)
  std::atomic<int64_t> h2_streams_open{0};                    // streams whose handler runs now
  void count_connection_protocol(std::string_view protocol);  // "http1" or "h2"
  // An HTTP/2 connection ended with GOAWAY for abuse: "rapid_reset",
  // "control_flood", "header_flood" or "protocol" (h2_server.hpp).
  void count_h2_abuse(std::string_view kind);
  void count_cut(CutReason reason);

  // method and status may be anything a client caused; they are mapped to
  // bounded label values (method_label, status_label).
  void count_request(std::string_view method, int status, double seconds);
  void count_connection_closed(uint64_t requests_served);

  // Extra text appended to /metrics (socket states, backend counters);
  // called on every scrape.
  void add_source(std::function<void(std::string&)> source);
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string_view, std::string>, uint64_t> requests_;  // (method_label, status_label)
  std::vector<std::function<void(std::string&)>> sources_;
  std::array<std::atomic<uint64_t>, kCutReasons> cuts_{};
  std::array<std::atomic<uint64_t>, 4> h2_abuse_{};  // by kH2AbuseNames (metrics.cpp)
  Histogram request_seconds_;
  Histogram requests_per_connection_;
};

}  // namespace haul::gateway
