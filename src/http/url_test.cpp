#include "http/url.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

using namespace haul::http;

TEST(PercentDecode, Valid) {
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("plain/key.txt"), "plain/key.txt");
  EXPECT_EQ(percent_decode("a%20b"), "a b");
  EXPECT_EQ(percent_decode("%2F%2f"), "//");
  EXPECT_EQ(percent_decode("a+b"), "a+b");  // '+' is not space in paths
  EXPECT_EQ(percent_decode("%41%7e%7E"), "A~~");
  EXPECT_EQ(percent_decode("%e2%82%ac"), "\xe2\x82\xac");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percent_decode("%25"), "%");
  EXPECT_EQ(percent_decode("%2525"), "%25");  // decoded once only
}

TEST(PercentDecode, Invalid) {
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("a%"));
  EXPECT_FALSE(percent_decode("a%4"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("%g0"));
  EXPECT_FALSE(percent_decode("%0g"));
  EXPECT_FALSE(percent_decode("ok%2"));
  EXPECT_FALSE(percent_decode("% 20"));
}

TEST(ParseQuery, Decodes) {
  auto q = parse_query("prefix=reports%2F2026&limit=10&name=two+words&flag&e=");
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(q["prefix"], "reports/2026");
  EXPECT_EQ(q["limit"], "10");
  EXPECT_EQ(q["name"], "two words");
  EXPECT_EQ(q["flag"], "");
  EXPECT_EQ(q["e"], "");
}

TEST(ParseQuery, NamesDecodedAndPlusIsSpace) {
  auto q = parse_query("a+b=1%2B1&%6B=v=w");
  EXPECT_EQ(q["a b"], "1+1");
  EXPECT_EQ(q["k"], "v=w");  // only the first '=' splits
}

TEST(ParseQuery, FirstDuplicateWins) {
  auto q = parse_query("store=a&store=b&x=1&store=c");
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q["store"], "a");
}

TEST(ParseQuery, EmptyElementsSkipped) {
  EXPECT_TRUE(parse_query("").empty());
  EXPECT_TRUE(parse_query("&&&").empty());
  auto q = parse_query("&a=1&&b=2&");
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q["a"], "1");
  EXPECT_EQ(q["b"], "2");
}

TEST(ParseQuery, BadEscapeThrows) {
  for (const char* bad : {"a=%", "a=%zz", "%=1", "ok=1&bad=%4"}) {
    try {
      parse_query(bad);
      ADD_FAILURE() << bad;
    } catch (const haul::Error& e) {
      EXPECT_EQ(e.kind(), haul::ErrorKind::bad_request) << bad;
    }
  }
}

TEST(SplitTarget, Splits) {
  auto a = split_target("/v1/objects?prefix=a&limit=2");
  EXPECT_EQ(a.path, "/v1/objects");
  EXPECT_EQ(a.query, "prefix=a&limit=2");
  auto b = split_target("/v1/objects/k");
  EXPECT_EQ(b.path, "/v1/objects/k");
  EXPECT_EQ(b.query, "");
  auto c = split_target("/p?a=1?b");
  EXPECT_EQ(c.path, "/p");
  EXPECT_EQ(c.query, "a=1?b");
}

TEST(PercentEncodePath, KeepsUnreservedAndSlash) {
  EXPECT_EQ(percent_encode_path("reports/1M.data"), "reports/1M.data");
  EXPECT_EQ(percent_encode_path("a-b_c.d~e/F9"), "a-b_c.d~e/F9");
  EXPECT_EQ(percent_encode_path("a b+c%d?e#f"), "a%20b%2Bc%25d%3Fe%23f");
  EXPECT_EQ(percent_encode_path(std::string("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(percent_encode_path("\xe2\x82\xac"), "%E2%82%AC");
}

TEST(PercentEncodePath, RoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string enc = percent_encode_path(all);
  for (char c : enc) {
    EXPECT_TRUE(c == '%' || c == '/' || c == '-' || c == '.' || c == '_' || c == '~' ||
                isalnum(static_cast<unsigned char>(c)));
  }
  EXPECT_EQ(percent_decode(enc), all);
}
