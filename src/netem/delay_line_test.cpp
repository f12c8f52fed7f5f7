#include "netem/delay_line.hpp"

#include <gtest/gtest.h>

#include "netem/test_packets.hpp"

using namespace haul::netem;
using namespace std::chrono_literals;

using haul::netem::testing::packet;
using haul::netem::testing::t0;

TEST(DelayLine, ReleasesExactlyAtEntryPlusDelay) {
  DelayLine line(100ms);
  ASSERT_TRUE(line.push(packet(1), t0 + 5ms));
  std::deque<TimedPacket> out;
  line.pop_ready(t0 + 105ms - 1ns, out);
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(line.next_due(), t0 + 105ms);
  line.pop_ready(t0 + 105ms, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].due, t0 + 105ms);
  EXPECT_EQ(out[0].bytes, packet(1));
  EXPECT_FALSE(line.next_due());
  EXPECT_EQ(line.bytes_in_flight(), 0u);
}

TEST(DelayLine, KeepsOrderAndReleasesOnlyWhatIsDue) {
  DelayLine line(10ms);
  for (uint8_t i = 0; i < 10; ++i) ASSERT_TRUE(line.push(packet(i), t0 + std::chrono::milliseconds(i)));
  std::deque<TimedPacket> out;
  line.pop_ready(t0 + 14ms, out);  // entries 0..4 are due (10..14 ms)
  ASSERT_EQ(out.size(), 5u);
  line.pop_ready(t0 + 1s, out);
  ASSERT_EQ(out.size(), 10u);
  for (uint8_t i = 0; i < 10; ++i) EXPECT_EQ(out[i].bytes[0], i);
}

TEST(DelayLine, ZeroDelayIsImmediate) {
  DelayLine line(0ns);
  ASSERT_TRUE(line.push(packet(7), t0 + 3ms));
  std::deque<TimedPacket> out;
  line.pop_ready(t0 + 3ms, out);
  ASSERT_EQ(out.size(), 1u);
}

TEST(DelayLine, MemoryGuardDropsAndCounts) {
  DelayLine line(1s, 250);
  EXPECT_TRUE(line.push(packet(1, 100), t0));
  EXPECT_TRUE(line.push(packet(2, 100), t0));
  EXPECT_FALSE(line.push(packet(3, 100), t0));
  EXPECT_EQ(line.dropped(), 1u);
  EXPECT_EQ(line.bytes_in_flight(), 200u);
}
