#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/size_parse.hpp"
#include "core/status_label.hpp"
#include "core/stripes.hpp"

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

TEST(ErrorKinds, PrivateDetailStaysOutOfThePublicMessage) {
  Error plain(ErrorKind::not_found, "no such object 'a'");
  EXPECT_EQ(plain.public_message(), "no such object 'a'");
  EXPECT_FALSE(plain.has_private_detail());
  Error detailed(ErrorKind::io, "disk full (No space left on device)", "write /srv/store/tmp/x.obj");
  EXPECT_STREQ(detailed.what(), "disk full (No space left on device): write /srv/store/tmp/x.obj");
  EXPECT_EQ(detailed.public_message(), "disk full (No space left on device)");
  EXPECT_TRUE(detailed.has_private_detail());
  Error copy = detailed;  // copies (as the gateway's std::optional<Error> makes) keep both
  EXPECT_EQ(copy.public_message(), "disk full (No space left on device)");
  EXPECT_FALSE(Error(ErrorKind::io, "x", "").has_private_detail());
}

TEST(StatusLabel, KnownCodesKeepTheirNumberOthersTheirClass) {
  EXPECT_EQ(status_label(200), "200");
  EXPECT_EQ(status_label(507), "507");
  EXPECT_EQ(status_label(431), "431");
  EXPECT_EQ(status_label(299), "2xx");
  EXPECT_EQ(status_label(599), "5xx");
  EXPECT_EQ(status_label(100), "100");
  EXPECT_EQ(status_label(0), "other");
  EXPECT_EQ(status_label(-1), "other");
  EXPECT_EQ(status_label(600), "other");
  EXPECT_EQ(status_label(99999), "other");
  // The bound the header promises: every status maps into at most 56 values.
  std::set<std::string> labels;
  for (long s = -1000; s < 100000; ++s) labels.insert(status_label(s));
  EXPECT_EQ(labels.size(), 56u);
}

TEST(Stripes, LayoutCoversTheObjectInOneKibSteps) {
  // 1 MiB in 79 stripes: 13 KiB each (fits a 10-segment initial window with
  // the request headers), the last one shorter.
  auto l = stripe_layout(1 << 20, 79);
  EXPECT_EQ(l.stripe_size, 13u * 1024);
  EXPECT_EQ(l.offset(78), 78u * 13 * 1024);
  EXPECT_EQ(l.length(78), (1u << 20) - 78u * 13 * 1024);
  uint64_t total = 0;
  for (uint32_t i = 0; i < l.count; ++i) total += l.length(i);
  EXPECT_EQ(total, 1u << 20);
  EXPECT_EQ(stripe_layout(2048, 2).stripe_size, 1024u);
  EXPECT_EQ(stripe_layout(2049, 2).stripe_size, 2048u);
}

TEST(Stripes, RejectsLayoutsWithEmptyStripesOrOutOfBounds) {
  EXPECT_THROW(stripe_layout(1 << 20, 1), Error);
  EXPECT_THROW(stripe_layout(1 << 20, kMaxStripes + 1), Error);
  EXPECT_THROW(stripe_layout(0, 2), Error);
  EXPECT_THROW(stripe_layout(kMaxStripedSize + 1, 64), Error);
  EXPECT_THROW(stripe_layout(1024, 2), Error);      // 1 KiB granule: the second stripe would be empty
  EXPECT_THROW(stripe_layout(3 * 1024, 4), Error);  // 1 KiB each fills 3, the fourth is empty
}
