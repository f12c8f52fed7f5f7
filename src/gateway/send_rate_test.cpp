// The minimum send rate rule (send_rate.hpp), with time as a parameter.
#include <gtest/gtest.h>

#include "gateway/send_rate.hpp"

using namespace haul::gateway;
using namespace std::chrono_literals;
using Clock = SendRateGuard::Clock;

namespace {

const Clock::time_point t0 = Clock::time_point{} + 1000s;
const SendRatePolicy policy{1024, 30s};  // 30 KiB per 30 s of send time

}  // namespace

TEST(SendRate, NoMinimumNoDeadline) {
  SendRateGuard guard(SendRatePolicy{0, 30s}, 1 << 20);
  EXPECT_EQ(guard.write_started(t0), Clock::time_point::max());
  guard.written(t0 + 1h, 10);
  EXPECT_EQ(guard.write_started(t0 + 1h), Clock::time_point::max());
}

TEST(SendRate, StalledReaderIsDueOneWindowAfterItsLastProgress) {
  SendRateGuard guard(policy, 16 << 20);
  EXPECT_EQ(guard.write_started(t0), t0 + 30s);
  guard.written(t0 + 1s, 256 * 1024);  // a burst into the socket buffers: a full quantum
  EXPECT_EQ(guard.write_started(t0 + 1s), t0 + 31s);
  guard.written(t0 + 2s, 64 * 1024);
  // Then nothing: the pending write must take a quantum by 2 s + 30 s.
  EXPECT_EQ(guard.write_started(t0 + 2s), t0 + 32s);
}

TEST(SendRate, ProgressBelowTheQuantumDoesNotMoveTheDeadline) {
  SendRateGuard guard(policy, 16 << 20);
  EXPECT_EQ(guard.write_started(t0), t0 + 30s);
  guard.written(t0 + 10s, 10 * 1024);
  EXPECT_EQ(guard.write_started(t0 + 10s), t0 + 30s);
  guard.written(t0 + 20s, 10 * 1024);
  EXPECT_EQ(guard.write_started(t0 + 20s), t0 + 30s);
  guard.written(t0 + 29s, 10 * 1024);  // 30 KiB in 29 s: at the rate, a new window
  EXPECT_EQ(guard.write_started(t0 + 29s), t0 + 59s);
}

TEST(SendRate, TricklingBelowTheRateRunsOutOfTime) {
  // 900 bytes/s against a 1024 bytes/s minimum: each 30 KiB would take 34 s.
  SendRateGuard guard(policy, 16 << 20);
  auto now = t0;
  auto deadline = guard.write_started(now);
  uint64_t taken = 0;
  while (now + 1s < deadline) {
    now += 1s;
    guard.written(now, 900);
    taken += 900;
    deadline = guard.write_started(now);
  }
  EXPECT_EQ(deadline, t0 + 30s);
  EXPECT_LT(taken, 30u * 1024);
}

TEST(SendRate, ReadingAtTheRateNeverRunsOutOfTime) {
  SendRateGuard guard(policy, 16 << 20);
  auto now = t0;
  for (int i = 0; i < 600; ++i) {  // ten minutes at exactly 1024 bytes/s
    auto deadline = guard.write_started(now);
    now += 1s;
    ASSERT_LE(now, deadline) << i;
    guard.written(now, 1024);
  }
}

TEST(SendRate, TimeWithoutAPendingWriteDoesNotCount) {
  SendRateGuard guard(policy, 16 << 20);
  EXPECT_EQ(guard.write_started(t0), t0 + 30s);
  guard.written(t0 + 5s, 1024);  // the write completes: 5 s of send time used
  // 100 s waiting for the store, then the next write.
  EXPECT_EQ(guard.write_started(t0 + 105s), t0 + 130s);
}

TEST(SendRate, TheLastBytesNeedOnlyBeTaken) {
  // 5 KiB left is less than a quantum: taking them is enough.
  SendRateGuard guard(policy, 40 * 1024);
  EXPECT_EQ(guard.write_started(t0), t0 + 30s);
  guard.written(t0 + 20s, 35 * 1024);  // a quantum: new window, 5 KiB due
  EXPECT_EQ(guard.write_started(t0 + 20s), t0 + 50s);
  guard.written(t0 + 45s, 5 * 1024);
  EXPECT_EQ(guard.write_started(t0 + 45s), t0 + 75s);  // (nothing left: no further write comes)
  SendRateGuard small(policy, 100);
  EXPECT_EQ(small.write_started(t0), t0 + 30s);
  small.written(t0 + 29s, 100);
}
