#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include "net/send_buffer.hpp"

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

TEST(SendBuffer, EnlargesARealSocketOrLeavesItAlone) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  uint64_t effective = enlarge_send_buffer(fd);
  int value = 0;
  socklen_t len = sizeof value;
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, &len), 0);
  if (effective != 0) {
    EXPECT_EQ(effective, static_cast<uint64_t>(value));
    EXPECT_GT(effective, 4u << 20);  // beats the default autotuning maximum
  }
  close(fd);
}
