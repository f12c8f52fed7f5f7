#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/send_congestion.hpp"

using namespace haul::net;

namespace {
// A warm connection: 1000 segments of 1448 bytes, RTO 400 ms, busy a moment ago.
BurstFacts warm(uint64_t bytes) {
  return BurstFacts{bytes, 5, 400000, 1000, 1448, 50'000'000};
}
}  // namespace

TEST(SendCongestion, WarmBurstThatFitsTheWindowGoesCubic) {
  EXPECT_EQ(choose_send_congestion(warm(1024)).algorithm, "cubic");
  EXPECT_EQ(choose_send_congestion(warm(1 << 20)).algorithm, "cubic");
  EXPECT_EQ(choose_send_congestion(warm(1000 * 1448)).algorithm, "cubic");
}

TEST(SendCongestion, BurstOverTheWindowAndOneMiBGoesBbrKeepingItsModel) {
  EXPECT_EQ(choose_send_congestion(warm(1000 * 1448 + 1)).algorithm, "bbr");
  EXPECT_FALSE(choose_send_congestion(warm(1000 * 1448 + 1)).restart);
  EXPECT_EQ(choose_send_congestion(warm(10 << 20)).algorithm, "bbr");
}

TEST(SendCongestion, IdleLongerThanRtoGoesBbr) {
  BurstFacts f = warm(1 << 20);
  f.idle_ms = 400;  // equal: the kernel cuts only when idle > RTO
  EXPECT_EQ(choose_send_congestion(f).algorithm, "cubic");
  f.idle_ms = 401;
  EXPECT_EQ(choose_send_congestion(f).algorithm, "bbr");
  EXPECT_TRUE(choose_send_congestion(f).restart);
  f.idle_ms = 2000;
  f.bytes = 1;
  EXPECT_EQ(choose_send_congestion(f).algorithm, "bbr");
}

TEST(SendCongestion, IdleBurstBeyondTheWindowKeepsBbrsModel) {
  // 10 MiB after 2 s idle: bbr's bandwidth model from the earlier bursts
  // paces it at the path's rate; restarted, bbr bursts its whole window into
  // the bottleneck queue (edge uploads: 1705 vs 1343 ms, docs/benchmarks.md).
  BurstFacts f = warm(10 << 20);
  f.idle_ms = 2000;
  EXPECT_EQ(choose_send_congestion(f).algorithm, "bbr");
  EXPECT_FALSE(choose_send_congestion(f).restart);
}

TEST(SendCongestion, SmallWindowButAtMostOneMiBStaysCubic) {
  // A new connection (nothing sent) or one that only carried a tiny request
  // (a pool warm-up): initial window, never idle-restarted when new.
  BurstFacts f{1 << 20, 3000, 1000000, 10, 1448, 0};
  EXPECT_EQ(choose_send_congestion(f).algorithm, "cubic");
  f.bytes_sent = 120;
  f.idle_ms = 5;
  f.bytes = 100 * 1024;
  EXPECT_EQ(choose_send_congestion(f).algorithm, "cubic");
  f.bytes = (1 << 20) + 1;
  EXPECT_EQ(choose_send_congestion(f).algorithm, "bbr");
  EXPECT_FALSE(choose_send_congestion(f).restart);
  f.bytes_sent = 0;
  f.mss = 0;  // not yet known
  EXPECT_EQ(choose_send_congestion(f).algorithm, "bbr");
}

TEST(SendCongestion, WindowCutIsDueOnlyAfterIdleAndOffBbr) {
  BurstFacts f = warm(0);
  EXPECT_FALSE(window_cut_due(f));  // busy a moment ago
  f.idle_ms = 400;
  EXPECT_FALSE(window_cut_due(f));  // equal to the RTO: the kernel does not cut
  f.idle_ms = 401;
  EXPECT_TRUE(window_cut_due(f));
  f.bbr_in_force = true;
  EXPECT_FALSE(window_cut_due(f));  // bbr handles idle itself: the kernel skips the cut
  f.bbr_in_force = false;
  f.bytes_sent = 0;
  EXPECT_FALSE(window_cut_due(f));  // a new connection is not idle
  f.bytes_sent = 1;
  f.rto_us = 0;
  EXPECT_FALSE(window_cut_due(f));  // no RTO known yet
}

TEST(SendCongestion, SmallBurstWhereBbrIsInForceRestartsBbr) {
  // Once bbr ran, the socket stays paced: a fresh bbr paces from the window
  // and never halves it, where cubic would (RFC 2861 validation).
  BurstFacts f = warm(100 * 1024);
  f.bbr_in_force = true;
  EXPECT_EQ(choose_send_congestion(f).algorithm, "bbr");
  EXPECT_TRUE(choose_send_congestion(f).restart);
  f.bytes = 0;  // a request header alone
  EXPECT_TRUE(choose_send_congestion(f).restart);
  f.bytes = 10 << 20;  // beyond the window: the model stays
  EXPECT_EQ(choose_send_congestion(f).algorithm, "bbr");
  EXPECT_FALSE(choose_send_congestion(f).restart);
  f.bytes = 1024;
  f.bytes_sent = 0;  // a new socket on the host's default: bbr never ran
  EXPECT_EQ(choose_send_congestion(f).algorithm, "cubic");
}

TEST(SendCongestion, OnlyABbrFlowWithDataInFlightIsRestartedForFreedBandwidth) {
  TcpInfo sending;
  sending.congestion = "bbr";
  sending.unacked = 120;
  EXPECT_TRUE(takes_freed_bandwidth_by_restart(sending));
  TcpInfo waiting = sending;  // a download's socket: its request long acknowledged
  waiting.unacked = 0;
  EXPECT_FALSE(takes_freed_bandwidth_by_restart(waiting));
  TcpInfo on_cubic = sending;  // a small body, sent unpaced
  on_cubic.congestion = "cubic";
  EXPECT_FALSE(takes_freed_bandwidth_by_restart(on_cubic));
}

TEST(SendCongestion, NotATcpSocketIsLeftAlone) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_EQ(set_send_congestion(fds[0], 1 << 20), "");
  EXPECT_EQ(keep_window_after_idle(fds[0]), "");
  EXPECT_FALSE(restart_bbr_while_sending(fds[0]));
  close(fds[0]);
  close(fds[1]);
}

TEST(SendCongestion, SetsTheChoiceOnARealSocket) {
  // A connected loopback pair: a fresh connection gets cubic (always allowed).
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(set_send_congestion(client, 1 << 20), "cubic");
  EXPECT_EQ(read_tcp_info(client)->congestion, "cubic");
  // Nothing sent yet: not idle, so the algorithm in force stays.
  EXPECT_EQ(keep_window_after_idle(client), "cubic");
  EXPECT_EQ(read_tcp_info(client)->congestion, "cubic");
  int server = accept(listener, nullptr, nullptr);
  // Used, then idle past its RTO: bbr takes over (where the host allows it).
  ASSERT_EQ(send(client, "x", 1, 0), 1);
  char byte = 0;
  ASSERT_EQ(recv(server, &byte, 1, 0), 1);
  const uint32_t rto_us = read_tcp_info(client)->rto_us;
  ASSERT_GT(rto_us, 0u);
  usleep(rto_us + 100'000);
  const bool bbr_allowed = set_congestion(server, "bbr");
  EXPECT_EQ(keep_window_after_idle(client), bbr_allowed ? "bbr" : "cubic");
  EXPECT_EQ(read_tcp_info(client)->congestion, bbr_allowed ? "bbr" : "cubic");
  // Nothing in flight: no restart, whatever is in force.
  EXPECT_FALSE(restart_bbr_while_sending(client));
  close(server);
  close(client);
  close(listener);
}
