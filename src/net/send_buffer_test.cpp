#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/send_buffer.hpp"
#include "net/sysctl.hpp"

using namespace haul::net;

TEST(SendBuffer, RequestFollowsTheKernelLimits) {
  constexpr uint64_t MiB = 1 << 20;
  // Autotuning already reaches it: leave it alone.
  EXPECT_EQ(send_buffer_request(32 * MiB, {64 * MiB, 0, true}), 0u);
  // CAP_NET_ADMIN: half the effective size (the kernel doubles it).
  EXPECT_EQ(send_buffer_request(32 * MiB, {4 * MiB, 208 * 1024, true}), 16 * MiB);
  // No capability: capped by wmem_max, used only when it beats autotuning.
  EXPECT_EQ(send_buffer_request(32 * MiB, {4 * MiB, 4 * MiB, false}), 4 * MiB);
  EXPECT_EQ(send_buffer_request(32 * MiB, {4 * MiB, 208 * 1024, false}), 0u);
  EXPECT_EQ(send_buffer_request(32 * MiB, {4 * MiB, 2 * MiB, false}), 0u);
}

TEST(SendBuffer, EnlargesARealSocket) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  uint64_t effective = enlarge_send_buffer(fd);
  int value = 0;
  socklen_t len = sizeof value;
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, &len), 0);
  auto wmem = parse_sysctl_ints(read_sysctl("net.ipv4.tcp_wmem").text.value_or(""));
  bool autotuning_reaches_it = wmem && wmem->size() == 3 && uint64_t((*wmem)[2]) >= long_link_send_buffer;
  if (geteuid() == 0 && !autotuning_reaches_it) {
    // CAP_NET_ADMIN: SO_SNDBUFFORCE sets exactly the long-link size.
    EXPECT_EQ(effective, long_link_send_buffer);
    uint32_t lowat = 0;
    len = sizeof lowat;
    ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &len), 0);
    EXPECT_EQ(lowat, long_link_notsent_lowat);
  }
  if (effective != 0) {
    EXPECT_EQ(effective, static_cast<uint64_t>(value));
  }
  close(fd);
}
