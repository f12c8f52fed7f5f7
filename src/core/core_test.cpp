#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/size_parse.hpp"

using namespace haul;

TEST(Hex, RoundTrip) {
  std::vector<uint8_t> bytes{0x00, 0x7f, 0xff, 0xa5};
  EXPECT_EQ(to_hex(bytes), "007fffa5");
  EXPECT_EQ(from_hex("007FFFa5").value(), bytes);
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
}

TEST(SizeParse, Sizes) {
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("100KiB"), 102400u);
  EXPECT_EQ(parse_size("10M"), 10u * 1024 * 1024);
  EXPECT_EQ(parse_size("1G"), 1024ull * 1024 * 1024);
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_FALSE(parse_size("ten"));
  EXPECT_FALSE(parse_size("1Q"));
  EXPECT_FALSE(parse_size(""));
}

TEST(SizeParse, Rates) {
  EXPECT_EQ(parse_rate_bps("100mbit"), 100000000u);
  EXPECT_EQ(parse_rate_bps("1gbit"), 1000000000u);
  EXPECT_FALSE(parse_rate_bps("fast"));
}

TEST(ErrorKinds, Statuses) {
  EXPECT_EQ(http_status(ErrorKind::not_found), 404);
  EXPECT_EQ(http_status(ErrorKind::range_not_satisfiable), 416);
  EXPECT_EQ(kind_name(ErrorKind::unauthorized), "unauthorized");
}
