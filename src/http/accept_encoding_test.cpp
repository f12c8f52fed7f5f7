#include "http/accept_encoding.hpp"

#include <gtest/gtest.h>

namespace haul::http {
namespace {

TEST(AcceptEncoding, GzipNamedOrByWildcard) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate"));            // python-requests
  EXPECT_TRUE(accepts_gzip("deflate, gzip, br, zstd"));  // curl --compressed
  EXPECT_TRUE(accepts_gzip(" GZIP ;q=0.5"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, *;q=0.1"));
  EXPECT_TRUE(accepts_gzip("gzip;Q=1"));
}

TEST(AcceptEncoding, RefusedOrAbsent) {
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));  // named beats the wildcard
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzipper"));
}

TEST(AcceptEncoding, AWeightThatDoesNotParseAcceptsNothing) {
  EXPECT_FALSE(accepts_gzip("gzip;q="));
  EXPECT_FALSE(accepts_gzip("gzip;q=2"));
  EXPECT_FALSE(accepts_gzip("gzip;q=1.5"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.1234"));
  EXPECT_FALSE(accepts_gzip("gzip;level=9"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.5x"));
  EXPECT_TRUE(accepts_gzip("gzip;q=bad, gzip"));  // another element still says yes
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
}

}  // namespace
}  // namespace haul::http
