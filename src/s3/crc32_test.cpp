// CRC-32 and CRC-32C against the standard check values (the CRC of ASCII
// "123456789", from the CRC catalogue), incremental use, and the empty input.
#include <gtest/gtest.h>

#include <string_view>

#include "crypto/sha256.hpp"
#include "s3/crc32.hpp"

namespace haul::s3 {
namespace {

uint32_t crc(uint32_t poly, std::string_view text) {
  Crc32 c(poly);
  c.update(crypto::as_bytes(text));
  return c.value();
}

TEST(Crc32, CheckValues) {
  EXPECT_EQ(crc(kCrc32Polynomial, "123456789"), 0xCBF43926u);
  EXPECT_EQ(crc(kCrc32cPolynomial, "123456789"), 0xE3069283u);
  EXPECT_EQ(crc(kCrc32Polynomial, ""), 0u);
  EXPECT_EQ(crc(kCrc32cPolynomial, ""), 0u);
  // "abc": the unsigned-trailer example clients send (x-amz-checksum-crc32:NSRBwg== is 0x352441C2).
  EXPECT_EQ(crc(kCrc32Polynomial, "abc"), 0x352441C2u);
}

TEST(Crc32, IncrementalEqualsOneShot) {
  std::string_view text = "The quick brown fox jumps over the lazy dog";
  for (size_t split = 0; split <= text.size(); ++split) {
    Crc32 c(kCrc32cPolynomial);
    c.update(crypto::as_bytes(text.substr(0, split)));
    (void)c.value();  // reading the value does not disturb the running state
    c.update(crypto::as_bytes(text.substr(split)));
    EXPECT_EQ(c.value(), crc(kCrc32cPolynomial, text));
  }
  EXPECT_EQ(crc(kCrc32Polynomial, text), 0x414FA339u);
}

}  // namespace
}  // namespace haul::s3
