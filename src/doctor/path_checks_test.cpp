#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "doctor/path_checks.hpp"

using namespace haul::doctor;

namespace {
SysctlValue v(const char* text) {
  return SysctlValue{std::string(text), 0};
}

PathResult measured() {
  PathResult p;
  p.handshake_s = {0.2012, 0.2005, 0.2030};
  p.rtt_s = 0.2005;
  p.download = TransferResult{64u << 20, 6.0};
  p.upload = TransferResult{16u << 20, 2.0};
  haul::net::TcpInfo c;
  c.window_scaling = c.sack = c.timestamps = true;
  c.bytes_sent = 1000000;
  c.bytes_retrans = 0;
  p.client_info = c;
  haul::net::TcpInfo g;
  g.bytes_sent = 1000000;
  g.bytes_retrans = 20000;  // 2%
  g.total_retrans = 14;
  g.congestion = "cubic";
  p.gateway_info = g;
  p.fastopen_used = false;
  return p;
}
}  // namespace

TEST(PathChecks, ModelUsesMeasuredRttAndBestRate) {
  PathModel m = path_model_from(measured(), PathModel{});
  EXPECT_TRUE(m.measured);
  EXPECT_DOUBLE_EQ(m.rtt_s, 0.2005);
  EXPECT_NEAR(m.rate_bps, (64.0 * 1048576 * 8) / 6.0, 1);
  PathResult none;
  EXPECT_FALSE(path_model_from(none, PathModel{}).measured);
}

TEST(PathChecks, RttBandwidthBdp) {
  PathResult p = measured();
  EXPECT_EQ(check_path_rtt(p).status, Status::ok);
  EXPECT_NE(check_path_rtt(p).value.find("min of 3 TCP handshakes"), std::string::npos);
  EXPECT_EQ(check_path_bandwidth(p).status, Status::ok);
  Finding bdp = check_path_bdp(p);
  EXPECT_EQ(bdp.status, Status::ok);
  EXPECT_NE(bdp.value.find("MiB"), std::string::npos);
  PathResult unreachable;
  EXPECT_EQ(check_path_rtt(unreachable).status, Status::fail);
  EXPECT_EQ(check_path_bandwidth(unreachable).status, Status::skip);
  EXPECT_EQ(check_path_bdp(unreachable).status, Status::skip);
}

TEST(PathChecks, StreamCapAgainstMeasuredRate) {
  PathResult p = measured();  // ~89 Mbit/s at 200 ms
  LocalFacts small;
  small.tcp_rmem = v("4096 131072 4194304");
  small.tcp_wmem = v("4096 16384 4194304");  // 2 MiB window / 200 ms = 84 Mbit/s
  EXPECT_EQ(check_stream_cap(p, small).status, Status::warn);
  LocalFacts big;
  big.tcp_rmem = v("4096 131072 33554432");
  big.tcp_wmem = v("4096 16384 33554432");
  EXPECT_EQ(check_stream_cap(p, big).status, Status::ok);
}

TEST(PathChecks, RetransmitsThresholds) {
  LocalFacts facts;
  facts.congestion_control = v("cubic");
  PathResult p = measured();
  Finding f = check_path_retransmits(p, facts);
  EXPECT_EQ(f.status, Status::fail);  // 2% on the gateway's side
  EXPECT_NE(f.fix.find("tcp_congestion_control=bbr"), std::string::npos);
  p.gateway_info->bytes_retrans = 5000;  // 0.5%
  EXPECT_EQ(check_path_retransmits(p, facts).status, Status::warn);
  p.gateway_info->bytes_retrans = 0;
  EXPECT_EQ(check_path_retransmits(p, facts).status, Status::ok);
  PathResult none;
  EXPECT_EQ(check_path_retransmits(none, facts).status, Status::skip);
}

TEST(PathChecks, FastOpenSaysWhichSide) {
  LocalFacts client_off;
  client_off.fastopen = v("2");
  LocalFacts client_on;
  client_on.fastopen = v("1");
  PathResult p = measured();
  EXPECT_EQ(check_path_fastopen(p, client_off).fix, "sysctl -w net.ipv4.tcp_fastopen=3");
  EXPECT_NE(check_path_fastopen(p, client_on).fix.find("on the gateway host"), std::string::npos);
  p.fastopen_used = true;
  EXPECT_EQ(check_path_fastopen(p, client_on).status, Status::ok);
}

TEST(PathChecks, NegotiatedOptions) {
  PathResult p = measured();
  EXPECT_EQ(check_path_options(p).status, Status::ok);
  p.client_info->sack = false;
  EXPECT_EQ(check_path_options(p).status, Status::warn);
  p.client_info->window_scaling = false;
  EXPECT_EQ(check_path_options(p).status, Status::fail);
}

TEST(PathChecks, GatewayViewAndJsonRoundTrip) {
  PathResult p = measured();
  EXPECT_EQ(check_gateway_view(p).status, Status::warn);  // cubic with retransmits
  p.gateway_info->congestion = "bbr";
  EXPECT_EQ(check_gateway_view(p).status, Status::ok);

  nlohmann::json j = path_result_json(p);
  EXPECT_DOUBLE_EQ(j["rtt_ms"].get<double>(), 200.5);
  EXPECT_EQ(j["download"]["bytes"].get<uint64_t>(), 64u << 20);
  haul::net::TcpInfo back = tcp_info_from_json(j["gateway_tcp_info"]);
  EXPECT_EQ(back.bytes_sent, 1000000u);
  EXPECT_EQ(back.total_retrans, 14u);
  EXPECT_EQ(back.congestion, "bbr");
  EXPECT_EQ(run_path_checks(p, LocalFacts{}).size(), 9u);  // 8 path checks and tls.wire
}
