#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "doctor/sockets_analysis.hpp"
#include "net/tcp_state.hpp"

using namespace haul::doctor;
using haul::net::SocketEntry;

namespace {
SocketEntry sock(uint8_t state, uint16_t lport, uint16_t rport, uint64_t inode) {
  SocketEntry e;
  e.family = 2;
  e.state = state;
  e.local_addr = "127.0.0.1";
  e.remote_addr = state == haul::net::tcp_listen ? "0.0.0.0" : "127.0.0.1";
  e.local_port = lport;
  e.remote_port = rport;
  e.inode = inode;
  return e;
}

const Finding& by_id(const SocketsReport& r, const std::string& id) {
  for (const auto& f : r.findings)
    if (f.id == id) return f;
  throw std::runtime_error("no finding " + id);
}
}  // namespace

// A server on 8080 that closed 150 connections first (TIME_WAIT on its
// side), a client of it that closed 3 first, and 2 CLOSE_WAIT on the server.
std::vector<SocketEntry> scene() {
  using namespace haul::net;
  std::vector<SocketEntry> all{sock(tcp_listen, 8080, 0, 10)};
  for (uint16_t i = 0; i < 150; ++i) all.push_back(sock(tcp_time_wait, 8080, static_cast<uint16_t>(40000 + i), 0));
  for (uint16_t i = 0; i < 3; ++i) all.push_back(sock(tcp_time_wait, static_cast<uint16_t>(50000 + i), 8080, 0));
  all.push_back(sock(tcp_close_wait, 8080, 41000, 11));
  all.push_back(sock(tcp_close_wait, 8080, 41001, 12));
  all.push_back(sock(tcp_established, 8080, 41002, 13));
  all.push_back(sock(tcp_established, 9999, 22, 14));  // unrelated
  return all;
}

TEST(SocketsAnalysis, CountsAndAttributesTimeWaitByPort) {
  SocketScope scope;
  scope.port = 8080;
  SocketsReport r = analyze_sockets(scene(), scope, SocketThresholds{}, {}, {});
  EXPECT_EQ(r.counts["listen"], 1u);
  EXPECT_EQ(r.counts["time_wait"], 153u);
  EXPECT_EQ(r.counts["close_wait"], 2u);
  EXPECT_EQ(r.counts["established"], 1u);  // the unrelated one is out of scope
  EXPECT_EQ(r.counts["fin_wait2"], 0u);
  EXPECT_EQ(r.time_wait_server, 150u);
  EXPECT_EQ(r.time_wait_client, 3u);
  const Finding& tw = by_id(r, "sockets.time_wait");
  EXPECT_EQ(tw.status, Status::warn);
  EXPECT_NE(tw.why.find("the server closes"), std::string::npos);
  const Finding& cw = by_id(r, "sockets.close_wait");
  EXPECT_EQ(cw.status, Status::warn);
  EXPECT_EQ(cw.value, "2 sockets");
}

// A client bound to another local address may be given the listener's port
// number: its TIME_WAIT sockets are still the client's.
TEST(SocketsAnalysis, ClientOnAnotherAddressWithTheListenersPortIsClientSide) {
  using namespace haul::net;
  std::vector<SocketEntry> all{sock(tcp_listen, 8080, 0, 10)};  // on 127.0.0.1
  SocketEntry client = sock(tcp_time_wait, 8080, 40000, 0);
  client.local_addr = "127.0.0.2";
  all.push_back(client);
  all.push_back(sock(tcp_time_wait, 8080, 40001, 0));  // the listener's own side
  SocketEntry wildcard = sock(tcp_listen, 9090, 0, 11);
  wildcard.local_addr = "0.0.0.0";
  all.push_back(wildcard);
  SocketEntry on_wildcard = sock(tcp_time_wait, 9090, 40002, 0);
  on_wildcard.local_addr = "127.0.0.3";
  all.push_back(on_wildcard);
  SocketsReport r = analyze_sockets(all, SocketScope{}, SocketThresholds{}, {}, {});
  EXPECT_EQ(r.time_wait_server, 2u);
  EXPECT_EQ(r.time_wait_client, 1u);
}

TEST(SocketsAnalysis, ClientSidePile) {
  using namespace haul::net;
  std::vector<SocketEntry> all;
  for (uint16_t i = 0; i < 120; ++i) all.push_back(sock(tcp_time_wait, static_cast<uint16_t>(50000 + i), 443, 0));
  SocketScope scope;
  scope.port = 443;
  SocketsReport r = analyze_sockets(all, scope, SocketThresholds{}, {}, {});
  EXPECT_EQ(r.time_wait_client, 120u);
  EXPECT_EQ(r.time_wait_server, 0u);
  EXPECT_NE(by_id(r, "sockets.time_wait").fix.find("tcp_tw_reuse=1"), std::string::npos);
}

TEST(SocketsAnalysis, PersistentCloseWaitIsFailAndNamesOwner) {
  SocketScope scope;
  scope.port = 8080;
  SocketsReport first = analyze_sockets(scene(), scope, SocketThresholds{}, {}, {});
  std::map<uint64_t, haul::net::SocketOwner> owners{{11, {4242, "leaky"}}};
  SocketsReport second = analyze_sockets(scene(), scope, SocketThresholds{}, first.close_wait_keys, owners);
  const Finding& cw = by_id(second, "sockets.close_wait");
  EXPECT_EQ(cw.status, Status::fail);
  EXPECT_NE(cw.value.find("2 still there"), std::string::npos);
  EXPECT_NE(cw.why.find("leaky (pid 4242)"), std::string::npos);
}

TEST(SocketsAnalysis, PidScopeUsesInodesAndListenPorts) {
  SocketScope scope;
  scope.pid = 77;
  scope.inodes = {10, 11};  // the listener and one CLOSE_WAIT
  SocketsReport r = analyze_sockets(scene(), scope, SocketThresholds{}, {}, {});
  EXPECT_EQ(r.counts["listen"], 1u);
  EXPECT_EQ(r.counts["close_wait"], 1u);
  EXPECT_EQ(r.counts["established"], 0u);
  EXPECT_EQ(r.time_wait_server, 150u);  // on its listening port
  EXPECT_EQ(r.time_wait_client, 0u);
}

TEST(SocketsAnalysis, AcceptQueueFull) {
  using namespace haul::net;
  auto l = sock(tcp_listen, 8080, 0, 10);
  l.recv_q = 129;
  l.send_q = 128;
  SocketsReport r = analyze_sockets({l}, SocketScope{}, SocketThresholds{}, {}, {});
  EXPECT_EQ(by_id(r, "sockets.accept_queue").status, Status::fail);
}

TEST(SocketsAnalysis, JsonFields) {
  SocketScope scope;
  scope.port = 8080;
  SocketsReport r = analyze_sockets(scene(), scope, SocketThresholds{}, {}, {});
  nlohmann::json j = sockets_report_json(r, scope, {});
  EXPECT_EQ(j["scope"]["port"], 8080);
  EXPECT_TRUE(j["scope"]["pid"].is_null());
  EXPECT_EQ(j["counts"]["time_wait"], 153);
  EXPECT_EQ(j["time_wait"]["server_side"], 150);
  EXPECT_EQ(j["sockets"].size(), r.sockets.size());
  EXPECT_EQ(j["sockets"][0]["state"], "listen");
  EXPECT_EQ(j["findings"][0]["id"], "sockets.close_wait");
}
