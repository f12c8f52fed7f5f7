#include "http/range.hpp"

#include <gtest/gtest.h>

using namespace haul::http;
using Kind = RangeRequest::Kind;

namespace {

struct Case {
  const char* value;
  uint64_t size;
  Kind kind;
  uint64_t first = 0;
  uint64_t last = 0;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << "'" << c.value << "' size " << c.size;
}

class RangeTable : public ::testing::TestWithParam<Case> {};

TEST_P(RangeTable, Parses) {
  const Case& c = GetParam();
  RangeRequest r = parse_range(c.value, c.size);
  ASSERT_EQ(static_cast<int>(r.kind), static_cast<int>(c.kind));
  if (c.kind == Kind::partial) {
    EXPECT_EQ(r.range.first, c.first);
    EXPECT_EQ(r.range.last, c.last);
    EXPECT_LE(r.range.first, r.range.last);
    EXPECT_LT(r.range.last, c.size);
  }
}

constexpr uint64_t max64 = UINT64_MAX;

INSTANTIATE_TEST_SUITE_P(
    Rfc9110, RangeTable,
    ::testing::Values(
        // absent header
        Case{"", 100, Kind::full}, Case{"   ", 100, Kind::full}, Case{"", 0, Kind::full},
        // a-b
        Case{"bytes=0-0", 100, Kind::partial, 0, 0}, Case{"bytes=0-99", 100, Kind::partial, 0, 99},
        Case{"bytes=10-19", 100, Kind::partial, 10, 19}, Case{"bytes=99-99", 100, Kind::partial, 99, 99},
        Case{"bytes=50-1000", 100, Kind::partial, 50, 99},  // b >= size clamps
        Case{"bytes=0-18446744073709551615", 100, Kind::partial, 0, 99},
        Case{"bytes=100-200", 100, Kind::unsatisfiable},  // a > last byte
        Case{"bytes=100-100", 100, Kind::unsatisfiable},
        Case{"bytes=0-0", 0, Kind::unsatisfiable},  // empty object, non-suffix
        Case{"bytes=5-4", 100, Kind::malformed},    // b < a
        // a-
        Case{"bytes=0-", 100, Kind::partial, 0, 99}, Case{"bytes=99-", 100, Kind::partial, 99, 99},
        Case{"bytes=100-", 100, Kind::unsatisfiable}, Case{"bytes=0-", 0, Kind::unsatisfiable},
        Case{"bytes=18446744073709551615-", 100, Kind::unsatisfiable},
        // -n (suffix)
        Case{"bytes=-1", 100, Kind::partial, 99, 99}, Case{"bytes=-10", 100, Kind::partial, 90, 99},
        Case{"bytes=-99", 100, Kind::partial, 1, 99},
        Case{"bytes=-100", 100, Kind::partial, 0, 99},  // n >= size: whole object, 206
        Case{"bytes=-500", 100, Kind::partial, 0, 99}, Case{"bytes=-18446744073709551615", 100, Kind::partial, 0, 99},
        Case{"bytes=-0", 100, Kind::unsatisfiable}, Case{"bytes=-1", 0, Kind::unsatisfiable},
        Case{"bytes=-0", 0, Kind::unsatisfiable},
        // big sizes
        Case{"bytes=18446744073709551614-", max64, Kind::partial, max64 - 1, max64 - 1},
        Case{"bytes=-2", max64, Kind::partial, max64 - 2, max64 - 1},
        // case and whitespace (RFC 9110 OWS)
        Case{"Bytes=1-2", 100, Kind::partial, 1, 2}, Case{"BYTES=1-2", 100, Kind::partial, 1, 2},
        Case{"  bytes=1-2  ", 100, Kind::partial, 1, 2}, Case{"bytes = 1-2", 100, Kind::partial, 1, 2},
        Case{"bytes=\t1 - 2", 100, Kind::partial, 1, 2},
        Case{"bytes=1-2,", 100, Kind::partial, 1, 2},  // empty list elements ignored
        Case{"bytes=, 1-2 ,,", 100, Kind::partial, 1, 2},
        // several ranges: served whole
        Case{"bytes=0-1,5-6", 100, Kind::full}, Case{"bytes=0-1, 5-6, -3", 100, Kind::full},
        Case{"bytes=200-300,400-500", 100, Kind::full}, Case{"bytes=0-1,garbage", 100, Kind::malformed},
        Case{"bytes=0-1,5-4", 100, Kind::malformed},
        // garbage
        Case{"bytes", 100, Kind::malformed}, Case{"bytes=", 100, Kind::malformed},
        Case{"bytes=,", 100, Kind::malformed}, Case{"bytes=-", 100, Kind::malformed},
        Case{"bytes=a-b", 100, Kind::malformed}, Case{"bytes=1", 100, Kind::malformed},
        Case{"bytes=1-2-3", 100, Kind::malformed}, Case{"bytes=+1-2", 100, Kind::malformed},
        Case{"bytes=1-+2", 100, Kind::malformed}, Case{"bytes=--1", 100, Kind::malformed},
        Case{"bytes=0x10-20", 100, Kind::malformed}, Case{"bytes=1 0-20", 100, Kind::malformed},
        Case{"bytes=1.5-2", 100, Kind::malformed}, Case{"bytes=1-2;", 100, Kind::malformed},
        Case{"items=0-1", 100, Kind::malformed},  // other unit
        Case{"bytesx=0-1", 100, Kind::malformed}, Case{"=0-1", 100, Kind::malformed}, Case{"0-1", 100, Kind::malformed},
        // numbers overflowing uint64
        Case{"bytes=18446744073709551616-", 100, Kind::malformed},
        Case{"bytes=0-18446744073709551616", 100, Kind::malformed},
        Case{"bytes=-18446744073709551616", 100, Kind::malformed},
        Case{"bytes=99999999999999999999999-", 100, Kind::malformed}));

TEST(ContentRange, Formats) {
  EXPECT_EQ(content_range({0, 0}, 1), "bytes 0-0/1");
  EXPECT_EQ(content_range({10, 19}, 100), "bytes 10-19/100");
  EXPECT_EQ(content_range({0, max64 - 1}, max64), "bytes 0-18446744073709551614/18446744073709551615");
  EXPECT_EQ(unsatisfied_content_range(0), "bytes */0");
  EXPECT_EQ(unsatisfied_content_range(100), "bytes */100");
}

TEST(ByteRange, Length) {
  EXPECT_EQ((ByteRange{0, 0}).length(), 1u);
  EXPECT_EQ((ByteRange{10, 19}).length(), 10u);
}

}  // namespace
