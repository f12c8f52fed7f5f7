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

TEST(SendCongestion, NotATcpSocketIsLeftAlone) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_EQ(set_send_congestion(fds[0], 1 << 20), "");
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
  int server = accept(listener, nullptr, nullptr);
  close(server);
  close(client);
  close(listener);
}
