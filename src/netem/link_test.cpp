#include "netem/link.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"

using namespace haul::netem;
using namespace std::chrono_literals;

namespace {
const Time t0{};
Bytes packet(uint32_t seq, size_t size = 1500) {
  Bytes b(size, 0);
  for (size_t i = 0; i < 4 && i < size; ++i) b[i] = static_cast<uint8_t>(seq >> (8 * i));
  return b;
}
uint32_t seq_of(const Bytes& b) {
  uint32_t s = 0;
  for (size_t i = 0; i < 4 && i < b.size(); ++i) s |= uint32_t{b[i]} << (8 * i);
  return s;
}
LinkConfig config(Duration delay, uint64_t rate, double loss = 0, uint64_t queue = 0) {
  LinkConfig c;
  c.delay = delay;
  c.rate_bps = rate;
  c.loss = loss;
  c.queue_bytes = queue;
  c.seed = 1234;
  validate(c);
  return c;
}
}  // namespace

TEST(Link, DelayPlusSerialization) {
  Link link(config(100ms, 100'000'000));
  link.push(packet(1), t0);
  EXPECT_EQ(link.next_due(), t0 + 100ms + 120us);
  std::deque<TimedPacket> out;
  link.pop_ready(t0 + 100ms + 119us, out);
  EXPECT_TRUE(out.empty());
  link.pop_ready(t0 + 100ms + 120us, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].due, t0 + 100ms + 120us);
}

TEST(Link, ExactWhateverThePollingGranularity) {
  // Polling once at the very end still yields the exact per-packet due times.
  Link link(config(50ms, 10'000'000));
  for (uint32_t i = 0; i < 20; ++i) link.push(packet(i), t0 + std::chrono::microseconds(i * 100));
  std::deque<TimedPacket> out;
  link.pop_ready(t0 + 10s, out);
  ASSERT_EQ(out.size(), 20u);
  // 1500 B at 10 Mbit/s = 1.2 ms each, arrivals faster than that: back to back.
  for (uint32_t i = 0; i < 20; ++i) EXPECT_EQ(out[i].due, t0 + 50ms + (i + 1) * 1200us) << i;
}

TEST(Link, UnlimitedRateIsPureDelay) {
  Link link(config(100ms, 0));
  for (uint32_t i = 0; i < 10000; ++i) link.push(packet(i), t0 + std::chrono::microseconds(i));
  std::deque<TimedPacket> out;
  link.pop_ready(t0 + 100ms + 9999us, out);
  ASSERT_EQ(out.size(), 10000u);
  EXPECT_EQ(out[4321].due, t0 + 100ms + 4321us);
  EXPECT_EQ(link.stats().queue_drops, 0u);
}

TEST(Link, OrderPreservedAndCountsAddUp) {
  Link link(config(20ms, 50'000'000, 0.05, 30000));
  std::deque<TimedPacket> out;
  Time now = t0;
  for (uint32_t i = 0; i < 20000; ++i) {
    now += 100us;  // 1500 B per 100 us = 120 Mbit/s offered into 50: queue overflows
    link.push(packet(i), now);
    link.pop_ready(now, out);
  }
  link.pop_ready(now + 1h, out);
  const auto& s = link.stats();
  EXPECT_EQ(s.offered, 20000u);
  EXPECT_EQ(s.offered, s.lost + s.queue_drops + s.delivered);
  EXPECT_EQ(out.size(), s.delivered);
  EXPECT_GT(s.lost, 0u);
  EXPECT_GT(s.queue_drops, 0u);
  for (size_t i = 1; i < out.size(); ++i) {
    ASSERT_LT(seq_of(out[i - 1].bytes), seq_of(out[i].bytes));
    ASSERT_LE(out[i - 1].due, out[i].due);
  }
  // Throughput never exceeds the rate: the delivered bits fit in the time
  // between the first departure and the last.
  double seconds = std::chrono::duration<double>(out.back().due - (t0 + 100us + 20ms)).count();
  EXPECT_LE(static_cast<double>(s.delivered_bytes) * 8, 50e6 * seconds + 1500 * 8);
  EXPECT_GE(static_cast<double>(s.delivered_bytes) * 8, 0.95 * 50e6 * seconds);
}

TEST(Link, LossRateWithinBinomialTolerance) {
  Link link(config(1ms, 0, 0.01));
  const int n = 100000;
  for (int i = 0; i < n; ++i) link.push(packet(static_cast<uint32_t>(i), 100), t0);
  double sd = std::sqrt(n * 0.01 * 0.99);
  EXPECT_NEAR(static_cast<double>(link.stats().lost), n * 0.01, 5 * sd);
}

TEST(Link, NextDueEmptyThenQueueThenLine) {
  Link link(config(10ms, 1'000'000));
  EXPECT_FALSE(link.next_due());
  link.push(packet(1, 125), t0);  // 1 ms at 1 Mbit/s
  EXPECT_EQ(link.next_due(), t0 + 11ms);
  std::deque<TimedPacket> out;
  link.pop_ready(t0 + 1ms, out);  // in the delay line now
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(link.next_due(), t0 + 11ms);
}

TEST(Link, DefaultQueueIsOneBdp) {
  EXPECT_EQ(default_queue_bytes(100'000'000, 100ms), 2'500'000u);
  EXPECT_EQ(default_queue_bytes(100'000'000, 0ms), min_default_queue_bytes);
  EXPECT_EQ(default_queue_bytes(0, 100ms), 0u);
  LinkConfig c = config(100ms, 100'000'000);
  EXPECT_EQ(effective_queue_bytes(c), 2'500'000u);
  c.queue_bytes = 1234;
  EXPECT_EQ(effective_queue_bytes(c), 1234u);
}

TEST(Link, ValidateRejectsBadValues) {
  LinkConfig c;
  c.loss = 1.0;
  EXPECT_THROW(validate(c), haul::Error);
  c.loss = -0.1;
  EXPECT_THROW(validate(c), haul::Error);
  c.loss = std::nan("");
  EXPECT_THROW(validate(c), haul::Error);
  c = LinkConfig{};
  c.delay = -1ms;
  EXPECT_THROW(validate(c), haul::Error);
  c = LinkConfig{};
  c.rate_bps = 100;
  EXPECT_THROW(validate(c), haul::Error);
  EXPECT_NO_THROW(validate(LinkConfig{}));
}
