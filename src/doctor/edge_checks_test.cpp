#include <gtest/gtest.h>

#include "doctor/edge_checks.hpp"

namespace haul::doctor {
namespace {

const char* kHealthy =
    "# HELP haul_edge_requests_total Requests relayed.\n"
    "haul_edge_requests_total 12\n"
    "haul_edge_failures_total 0\n"
    "haul_edge_retries_total 1\n"
    "haul_edge_upstream_connections_open 3\n"
    "haul_edge_upstream_connections_idle 2\n"
    "haul_edge_upstream_connections_opened_total 4\n"
    "haul_edge_upstream_windows_warmed_total 4\n"
    "haul_edge_upstream_cwnd_segments{local_port=\"4000\"} 10\n"
    "haul_edge_upstream_cwnd_segments{local_port=\"4001\"} 1820\n"
    "haul_edge_upstream_rtt_us{local_port=\"4000\"} 200100\n"
    "haul_edge_upstream_rtt_us{local_port=\"4001\"} 201300\n"
    "garbage line\n";

Status status_of(const std::vector<Finding>& fs, const std::string& id) {
  for (const auto& f : fs) {
    if (f.id == id) return f.status;
  }
  return Status::skip;
}

TEST(EdgeChecks, HealthyEdge) {
  const auto fs = run_edge_checks({"http://127.0.0.1:8080", std::string(kHealthy), ""});
  ASSERT_EQ(fs.size(), 3u);
  EXPECT_EQ(status_of(fs, "edge.reachable"), Status::ok);
  EXPECT_EQ(status_of(fs, "edge.upstream"), Status::ok);
  EXPECT_NE(fs[1].value.find("2 warm (idle) of 3 open"), std::string::npos) << fs[1].value;
  EXPECT_NE(fs[1].value.find("cwnd 10-1820 segments, RTT 200.1-201.3 ms"), std::string::npos) << fs[1].value;
  EXPECT_NE(fs[1].value.find("4 with windows opened before use"), std::string::npos) << fs[1].value;
  EXPECT_EQ(status_of(fs, "edge.failures"), Status::ok);
}

TEST(EdgeChecks, UnreachableEdgeFails) {
  const auto fs = run_edge_checks({"http://127.0.0.1:9", std::nullopt, "connection refused"});
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::fail);
  EXPECT_FALSE(fs[0].fix.empty());
}

TEST(EdgeChecks, NoGatewayConnectionFailsAndFailuresWarn) {
  const auto fs = run_edge_checks({"u",
                                   std::string("haul_edge_requests_total 5\nhaul_edge_failures_total 2\n"
                                               "haul_edge_upstream_connections_open 0\n"
                                               "haul_edge_upstream_connect_failures_total 7\n"),
                                   ""});
  EXPECT_EQ(status_of(fs, "edge.upstream"), Status::fail);
  EXPECT_EQ(status_of(fs, "edge.failures"), Status::warn);
}

TEST(EdgeChecks, AllBusyWarns) {
  const auto fs =
      run_edge_checks({"u", std::string("haul_edge_requests_total 5\nhaul_edge_upstream_connections_open 4\n"), ""});
  EXPECT_EQ(status_of(fs, "edge.upstream"), Status::warn);
}

TEST(EdgeChecks, NotAnEdge) {
  const auto fs = run_edge_checks({"u", std::string("haul_requests_total 5\n"), ""});
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::fail);
}

TEST(EdgeChecks, PrometheusParser) {
  const auto m = parse_prometheus("a 1\nb{x=\"1 2\"} 2.5\n# c 3\nd\ne x\n");
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at("a"), 1);
  EXPECT_EQ(m.at("b{x=\"1 2\"}"), 2.5);
}

}  // namespace
}  // namespace haul::doctor
