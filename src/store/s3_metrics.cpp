#include "store/s3_metrics.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include "core/status_label.hpp"

namespace haul::store {
namespace {

std::atomic<uint64_t> connections_opened{0};
std::mutex requests_mutex;
std::map<std::pair<std::string, std::string>, uint64_t>& requests() {
  static std::map<std::pair<std::string, std::string>, uint64_t> counts;
  return counts;
}

}  // namespace

void s3_count_connections(uint64_t opened) { connections_opened.fetch_add(opened, std::memory_order_relaxed); }

uint64_t s3_connections_opened() { return connections_opened.load(std::memory_order_relaxed); }

void s3_count_request(std::string_view op, long http_status) {
  // The backend is someone else's server: its statuses are mapped to a
  // bounded set like the gateway's own (core/status_label.hpp).
  std::string code = http_status > 0 ? status_label(http_status) : "error";
  std::lock_guard lock(requests_mutex);
  ++requests()[{std::string(op), std::move(code)}];
}

std::string s3_metrics_text() {
  std::string out =
      "# HELP haul_backend_connections_opened_total TCP connections opened to the S3 backend.\n"
      "# TYPE haul_backend_connections_opened_total counter\n"
      "haul_backend_connections_opened_total " + std::to_string(s3_connections_opened()) + "\n"
      "# HELP haul_backend_requests_total Requests to the S3 backend by operation and HTTP status.\n"
      "# TYPE haul_backend_requests_total counter\n";
  std::lock_guard lock(requests_mutex);
  for (const auto& [labels, count] : requests()) {
    out += "haul_backend_requests_total{op=\"" + labels.first + "\",code=\"" + labels.second + "\"} " +
           std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace haul::store
