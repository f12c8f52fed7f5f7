#include "store/s3_metrics.hpp"

#include <memory>

#include "core/status_label.hpp"

namespace haul::store {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<S3StoreMetrics>, std::less<>> stores;
};

Registry& registry() {
  static Registry r;
  return r;
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void S3StoreMetrics::count_request(std::string_view op, long http_status) {
  // The backend is someone else's server: its statuses are mapped to a
  // bounded set like the gateway's own (core/status_label.hpp).
  std::string code = http_status > 0 ? status_label(http_status) : "error";
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(op), std::move(code)}];
}

void S3StoreMetrics::render(std::string_view store_label, std::string& connections, std::string& requests) const {
  const std::string store = "store=\"" + label_value(store_label) + "\"";
  connections += "haul_backend_connections_opened_total{" + store + "} " + std::to_string(connections_opened()) + "\n";
  std::lock_guard lock(mutex_);
  for (const auto& [labels, count] : requests_) {
    requests += "haul_backend_requests_total{" + store + ",op=\"" + labels.first + "\",code=\"" + labels.second +
                "\"} " + std::to_string(count) + "\n";
  }
}

S3StoreMetrics& s3_metrics_for(std::string_view store) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.stores.find(store);
  if (it == r.stores.end()) it = r.stores.emplace(std::string(store), std::make_unique<S3StoreMetrics>()).first;
  return *it->second;
}

uint64_t s3_connections_opened() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  uint64_t total = 0;
  for (const auto& [name, metrics] : r.stores) total += metrics->connections_opened();
  return total;
}

std::string s3_metrics_text() {
  std::string connections, requests;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    for (const auto& [name, metrics] : r.stores) metrics->render(name, connections, requests);
  }
  return "# HELP haul_backend_connections_opened_total TCP connections opened to the S3 backend, by store.\n"
         "# TYPE haul_backend_connections_opened_total counter\n" +
         connections +
         "# HELP haul_backend_requests_total Requests to the S3 backend by store, operation and HTTP status.\n"
         "# TYPE haul_backend_requests_total counter\n" +
         requests;
}

}  // namespace haul::store
