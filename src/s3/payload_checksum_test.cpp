// x-amz-checksum-* values against the standard check values (the CRC or
// digest of ASCII "123456789" from the CRC catalogue and FIPS 180), in the
// base64-of-big-endian form S3 clients send, and fed in pieces.
#include "s3/payload_checksum.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "crypto/sha256.hpp"

namespace haul::s3 {
namespace {

std::string checksum(std::string_view name, std::string_view text, size_t split = 0) {
  auto c = PayloadChecksum::for_name(name);
  EXPECT_TRUE(c) << name;
  if (!c) return {};
  c->update(crypto::as_bytes(text.substr(0, split)));
  c->update(crypto::as_bytes(text.substr(split)));
  return c->base64();
}

TEST(PayloadChecksum, CheckValues) {
  // 0xCBF43926, 0xE3069283, 0xAE8B14860A799888 as big-endian bytes, base64.
  EXPECT_EQ(checksum("x-amz-checksum-crc32", "123456789"), "y/Q5Jg==");
  EXPECT_EQ(checksum("x-amz-checksum-crc32c", "123456789"), "4waSgw==");
  EXPECT_EQ(checksum("x-amz-checksum-crc64nvme", "123456789"), "rosUhgp5mIg=");
  EXPECT_EQ(checksum("x-amz-checksum-sha1", "abc"), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  EXPECT_EQ(checksum("x-amz-checksum-sha256", "abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  // s3-tests' value for 1024 bytes of 'A'.
  EXPECT_EQ(checksum("x-amz-checksum-sha256", std::string(1024, 'A')), "arcu6553sHVAiX4MjW0j7I7vD4w6R+Gz9Ok0Q9lTa+0=");
}

TEST(PayloadChecksum, PiecesEqualOneShot) {
  const std::string_view text = "The quick brown fox jumps over the lazy dog";
  for (const char* name : {"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme",
                           "x-amz-checksum-sha1", "x-amz-checksum-sha256"}) {
    for (size_t split = 0; split <= text.size(); split += 7) {
      EXPECT_EQ(checksum(name, text, split), checksum(name, text)) << name << " " << split;
    }
  }
}

TEST(PayloadChecksum, NamesAndAlgorithms) {
  auto c = PayloadChecksum::for_name("X-Amz-Checksum-CRC64NVME");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name(), "x-amz-checksum-crc64nvme");
  EXPECT_EQ(c->algorithm(), "CRC64NVME");
  for (const char* other : {"x-amz-checksum-md5", "x-amz-checksum-", "content-md5", "x-amz-checksum-crc32 "}) {
    EXPECT_FALSE(PayloadChecksum::for_name(other)) << other;
  }
}

}  // namespace
}  // namespace haul::s3
