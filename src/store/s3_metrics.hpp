#pragma once
// Counters of the S3 stores' backend traffic, one set per store name,
// rendered in Prometheus text for the gateway's /metrics:
//   haul_backend_connections_opened_total{store="us"}   new TCP connections to S3
//   haul_backend_requests_total{store="us",op="get",code="200"}   backend
//       requests by operation (a fixed name from the store's code) and HTTP
//       status (status_label: bounded whatever the backend answers; "error"
//       when no status: refused, timeout)
// The store label is the store's name (--store NAME=URL; "default" when
// unnamed): one value per configured store. Thread-safe; counters only grow;
// stores of the same name share them.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace haul::store {

class S3StoreMetrics {
 public:
  void count_connections(uint64_t opened) { connections_opened_.fetch_add(opened, std::memory_order_relaxed); }
  void count_request(std::string_view op, long http_status);
  uint64_t connections_opened() const { return connections_opened_.load(std::memory_order_relaxed); }
  // This store's samples (no HELP/TYPE lines), label values as given.
  void render(std::string_view store_label, std::string& connections, std::string& requests) const;

 private:
  std::atomic<uint64_t> connections_opened_{0};
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;  // (op, code) -> count
};

// The counters of the store named `store`, made on first use and kept for
// the process (the reference stays valid).
S3StoreMetrics& s3_metrics_for(std::string_view store);
// Connections opened by every S3 store of the process.
uint64_t s3_connections_opened();

// Every store's counters in Prometheus text exposition format (with # HELP
// and # TYPE lines), ready to append to /metrics. Empty of samples until an
// S3 store exists, but the HELP/TYPE lines are always there.
std::string s3_metrics_text();

}  // namespace haul::store
