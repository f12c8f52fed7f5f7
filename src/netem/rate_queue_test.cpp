#include "netem/rate_queue.hpp"

#include <gtest/gtest.h>

#include "netem/test_packets.hpp"

using namespace haul::netem;
using namespace std::chrono_literals;

using haul::netem::testing::packet;
using haul::netem::testing::t0;

TEST(RateQueue, SerializationTime) {
  // 1500 bytes at 100 Mbit/s = 120 us; at 1 Gbit/s = 12 us.
  EXPECT_EQ(RateQueue::serialization_time(1500, 100'000'000), 120us);
  EXPECT_EQ(RateQueue::serialization_time(1500, 1'000'000'000), 12us);
  EXPECT_EQ(RateQueue::serialization_time(1, 3), Duration(2'666'666'667));  // rounded to nearest ns
  EXPECT_EQ(RateQueue::serialization_time(65535, 8000), Duration(65'535'000'000));
}

TEST(RateQueue, BackToBackPacketsDepartOneSerializationApart) {
  RateQueue q(100'000'000, 1'000'000);
  for (uint8_t i = 0; i < 5; ++i) ASSERT_TRUE(q.push(packet(i), t0));
  std::deque<TimedPacket> out;
  q.pop_ready(t0 + 600us, out);
  ASSERT_EQ(out.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(out[i].due, t0 + (i + 1) * 120us) << i;
    EXPECT_EQ(out[i].bytes[0], i);
  }
}

TEST(RateQueue, IdleLinkStartsAtArrival) {
  RateQueue q(100'000'000, 1'000'000);
  ASSERT_TRUE(q.push(packet(1), t0));
  ASSERT_TRUE(q.push(packet(2), t0 + 1s));  // link idle since 120 us
  std::deque<TimedPacket> out;
  q.pop_ready(t0 + 2s, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].due, t0 + 1s + 120us);
}

TEST(RateQueue, ReleasesNothingBeforeDeparture) {
  RateQueue q(100'000'000, 1'000'000);
  ASSERT_TRUE(q.push(packet(1), t0));
  std::deque<TimedPacket> out;
  q.pop_ready(t0 + 120us - 1ns, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(q.next_due(), t0 + 120us);
  EXPECT_EQ(q.queued_bytes(), 1500u);
}

TEST(RateQueue, DropTailCountsOverflowAndFreesRoomAsPacketsDepart) {
  RateQueue q(100'000'000, 4500);  // room for three full packets
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += q.push(packet(static_cast<uint8_t>(i)), t0) ? 1 : 0;
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(q.dropped(), 7u);
  // After one departure (120 us) there is room for exactly one more.
  EXPECT_TRUE(q.push(packet(10), t0 + 120us));
  EXPECT_FALSE(q.push(packet(11), t0 + 120us));
  EXPECT_EQ(q.dropped(), 8u);
  std::deque<TimedPacket> out;
  q.pop_ready(t0 + 1s, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[3].bytes[0], 10);
  EXPECT_EQ(out[3].due, t0 + 480us);  // queued behind the three accepted at t0
}

TEST(RateQueue, PacketLargerThanQueueIsAlwaysDropped) {
  RateQueue q(100'000'000, 1000);
  EXPECT_FALSE(q.push(packet(1, 1001), t0));
  EXPECT_TRUE(q.push(packet(2, 1000), t0));
  EXPECT_EQ(q.dropped(), 1u);
}

TEST(RateQueue, ZeroRateIsUnlimited) {
  RateQueue q(0, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.push(packet(static_cast<uint8_t>(i)), t0 + 1ms));
  std::deque<TimedPacket> out;
  q.pop_ready(t0 + 1ms, out);
  ASSERT_EQ(out.size(), 1000u);
  EXPECT_EQ(out.back().due, t0 + 1ms);
  EXPECT_EQ(q.dropped(), 0u);
}

TEST(RateQueue, EmptyPacketTakesNoTime) {
  RateQueue q(100'000'000, 10);
  EXPECT_TRUE(q.push(Bytes{}, t0));
  EXPECT_EQ(q.next_due(), t0);
}

TEST(RateQueue, LongRunAverageMatchesRate) {
  // 10 000 packets of mixed sizes offered faster than the rate: the last
  // departure is the total bits / rate, within the per-packet ns rounding.
  const uint64_t rate = 1'000'000'000;
  RateQueue q(rate, uint64_t{1} << 32);
  uint64_t bytes = 0;
  for (int i = 0; i < 10000; ++i) {
    size_t size = 40 + static_cast<size_t>(i * 37) % 1461;
    bytes += size;
    ASSERT_TRUE(q.push(Bytes(size, 0), t0));
  }
  std::deque<TimedPacket> out;
  q.pop_ready(t0 + 1h, out);
  ASSERT_EQ(out.size(), 10000u);
  auto expected = Duration(static_cast<int64_t>(bytes * 8));  // ns at 1 Gbit/s
  EXPECT_LE(std::chrono::abs(out.back().due - t0 - expected), Duration(10000));
}
