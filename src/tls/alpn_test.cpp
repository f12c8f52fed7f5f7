// ALPN selection from the client's wire list.
#include "tls/alpn.hpp"

#include <gtest/gtest.h>

using namespace haul::tls;

namespace {
const std::vector<std::string> kOurs = {"http/1.1"};
const std::vector<std::string> kBoth = {"h2", "http/1.1"};
}  // namespace

TEST(Alpn, PicksOursInOurOrder) {
  auto offered = alpn_wire(std::vector<std::string>{"h2", "http/1.1"});
  EXPECT_EQ(select_alpn(offered, kOurs), "http/1.1");
  EXPECT_EQ(select_alpn(offered, kBoth), "h2");  // our preference, not the client's
  auto reversed = alpn_wire(std::vector<std::string>{"http/1.1", "h2"});
  EXPECT_EQ(select_alpn(reversed, kBoth), "h2");
}

TEST(Alpn, NoOverlapOrMalformedSelectsNothing) {
  EXPECT_FALSE(select_alpn(alpn_wire(std::vector<std::string>{"h2"}), kOurs));
  EXPECT_FALSE(select_alpn({}, kOurs));
  const std::vector<uint8_t> zero_length = {0, 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  EXPECT_FALSE(select_alpn(zero_length, kOurs));
  const std::vector<uint8_t> overrun = {20, 'h', 't', 't', 'p'};
  EXPECT_FALSE(select_alpn(overrun, kOurs));
  // A valid name followed by garbage: the whole list is refused.
  auto valid = alpn_wire(kOurs);
  valid.push_back(9);
  EXPECT_FALSE(select_alpn(valid, kOurs));
  // A prefix of our name is not our name.
  EXPECT_FALSE(select_alpn(alpn_wire(std::vector<std::string>{"http/1"}), kOurs));
}

TEST(Alpn, EveryTruncationIsSafe) {
  auto offered = alpn_wire(std::vector<std::string>{"spdy/3", "h2", "http/1.1"});
  for (size_t n = 0; n <= offered.size(); ++n) {
    auto got = select_alpn(std::span<const uint8_t>(offered.data(), n), kOurs);
    EXPECT_EQ(got.has_value(), n == offered.size()) << n;
  }
}
