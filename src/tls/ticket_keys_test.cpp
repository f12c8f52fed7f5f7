// Rotation of session-ticket keys with a clock the test moves.
#include "tls/ticket_keys.hpp"

#include <gtest/gtest.h>

using namespace haul::tls;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  TicketKeys::Clock::time_point now{std::chrono::hours(1000)};
  std::function<TicketKeys::Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

}  // namespace

TEST(TicketKeys, CurrentKeyUntilTheHourThenTwoOldOnesStillOpen) {
  FakeClock clock;
  TicketKeys keys({3600s, 2}, clock.fn());
  const TicketKey first = keys.sealing_key();
  EXPECT_EQ(keys.sealing_key().name, first.name);
  clock.now += 59min;
  EXPECT_EQ(keys.sealing_key().name, first.name);
  ASSERT_TRUE(keys.opening_key(first.name).has_value());
  EXPECT_TRUE(keys.opening_key(first.name)->current);

  clock.now += 1min;  // an hour: a new key seals, the first still opens
  const TicketKey second = keys.sealing_key();
  EXPECT_NE(second.name, first.name);
  EXPECT_NE(second.aes_key, first.aes_key);
  EXPECT_NE(second.hmac_key, first.hmac_key);
  auto old = keys.opening_key(first.name);
  ASSERT_TRUE(old.has_value());
  EXPECT_FALSE(old->current);
  EXPECT_EQ(old->key.aes_key, first.aes_key);

  clock.now += 1h;  // third key: the first is two back, still kept
  EXPECT_TRUE(keys.opening_key(first.name).has_value());
  clock.now += 1h;  // fourth: the first falls out
  EXPECT_FALSE(keys.opening_key(first.name).has_value());
  EXPECT_TRUE(keys.opening_key(second.name).has_value());
  EXPECT_EQ(keys.keys_made(), 4u);
}

TEST(TicketKeys, LongSilenceDropsEveryOldKey) {
  FakeClock clock;
  TicketKeys keys({3600s, 2}, clock.fn());
  const TicketKey first = keys.sealing_key();
  clock.now += 30h;  // no handshake for a day: nothing from back then opens
  EXPECT_FALSE(keys.opening_key(first.name).has_value());
  const TicketKey now_key = keys.sealing_key();
  EXPECT_TRUE(keys.opening_key(now_key.name)->current);
  EXPECT_EQ(keys.keys_made(), 4u);  // at most previous_kept + 1 made at once
  // The schedule stays on the hour of the start, not of the late handshake.
  clock.now += 59min;
  EXPECT_EQ(keys.sealing_key().name, now_key.name);
  clock.now += 1min;
  EXPECT_NE(keys.sealing_key().name, now_key.name);
}

TEST(TicketKeys, UnknownOrMalformedNamesOpenNothing) {
  TicketKeys keys;
  std::array<uint8_t, 16> other{};
  EXPECT_FALSE(keys.opening_key(other).has_value());
  const auto name = keys.sealing_key().name;
  EXPECT_FALSE(keys.opening_key(std::span<const uint8_t>(name.data(), 15)).has_value());
}

TEST(TicketKeys, LifetimeIsWhatIsAlwaysKept) {
  EXPECT_EQ(TicketKeyPolicy{}.ticket_lifetime(), 2h);
  EXPECT_EQ((TicketKeyPolicy{600s, 3}.ticket_lifetime()), 30min);
}
