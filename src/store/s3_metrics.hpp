#pragma once
// Process-wide counters of the S3 store's backend traffic, rendered in
// Prometheus text for the gateway's /metrics:
//   haul_backend_connections_opened_total            new TCP connections to S3
//   haul_backend_requests_total{op="get",code="200"} backend requests by
//       operation (a fixed name from the store's code) and HTTP status
//       (status_label: bounded whatever the backend answers; "error" when no
//       status: refused, timeout)
// Thread-safe. Counters only grow; every S3 store in the process shares them.

#include <cstdint>
#include <string>
#include <string_view>

namespace haul::store {

void s3_count_connections(uint64_t opened);
void s3_count_request(std::string_view op, long http_status);
uint64_t s3_connections_opened();

// The counters above in Prometheus text exposition format (with # HELP and
// # TYPE lines), ready to append to /metrics. Empty of samples until the
// first backend request, but the HELP/TYPE lines are always there.
std::string s3_metrics_text();

}  // namespace haul::store
