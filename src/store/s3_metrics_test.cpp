// The S3 backend counters without an S3 server: one set per store name,
// rendered with the store label.
#include <gtest/gtest.h>

#include "store/s3_metrics.hpp"

namespace haul::store {
namespace {

TEST(S3Metrics, CountersCarryTheStoreLabel) {
  S3StoreMetrics& us = s3_metrics_for("metrics-us");
  S3StoreMetrics& eu = s3_metrics_for("metrics-eu");
  EXPECT_EQ(&us, &s3_metrics_for("metrics-us"));  // one set per name
  EXPECT_NE(&us, &eu);
  uint64_t total = s3_connections_opened();
  us.count_connections(2);
  eu.count_connections(1);
  us.count_request("get", 200);
  us.count_request("get", 200);
  eu.count_request("get", 599);  // a status no RFC defines: its class
  eu.count_request("put", 0);    // no answer
  EXPECT_EQ(us.connections_opened(), 2u);
  EXPECT_EQ(s3_connections_opened(), total + 3);
  std::string text = s3_metrics_text();
  for (const char* line : {"haul_backend_connections_opened_total{store=\"metrics-us\"} 2\n",
                           "haul_backend_connections_opened_total{store=\"metrics-eu\"} 1\n",
                           "haul_backend_requests_total{store=\"metrics-us\",op=\"get\",code=\"200\"} 2\n",
                           "haul_backend_requests_total{store=\"metrics-eu\",op=\"get\",code=\"5xx\"} 1\n",
                           "haul_backend_requests_total{store=\"metrics-eu\",op=\"put\",code=\"error\"} 1\n",
                           "# TYPE haul_backend_requests_total counter\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  // Every sample names its store.
  size_t samples = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    EXPECT_EQ(line.find("haul_backend_"), 0u) << line;
    EXPECT_NE(line.find("{store=\""), std::string::npos) << line;
  }
  EXPECT_GE(samples, 5u);
}

TEST(S3Metrics, StoreLabelIsEscaped) {
  s3_metrics_for("odd\"name\\\n").count_request("head", 200);
  EXPECT_NE(s3_metrics_text().find("{store=\"odd\\\"name\\\\\\n\",op=\"head\",code=\"200\"} 1\n"), std::string::npos)
      << s3_metrics_text();
}

}  // namespace
}  // namespace haul::store
