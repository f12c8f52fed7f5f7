// Whole-object round trips, chunking independence, the trailer and the
// encryptor's bounded buffering.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

std::vector<uint64_t> boundary_sizes(uint64_t s) {
  return {0, 1, s - 1, s, s + 1, 3 * s + 5};
}

void expect_well_formed(const ObjectCipher& cipher, std::span<const uint8_t> plain, std::span<const uint8_t> body) {
  Layout l = cipher.layout();
  ASSERT_EQ(body.size(), l.body_size(plain.size()));
  auto trailer = cipher.open_trailer(body.subspan(l.trailer_offset(plain.size())));
  ASSERT_TRUE(trailer.has_value());
  EXPECT_EQ(trailer->plain_size, plain.size());
  EXPECT_EQ(trailer->sha256, sha256(plain));
  if (plain.size() >= 16) {  // no 16-byte window of plaintext shows through
    auto it = std::search(body.begin(), body.end(), plain.begin(), plain.begin() + 16);
    EXPECT_EQ(it, body.end());
  }
}

}  // namespace

TEST(RoundTrip, SmallSegmentsSplitAtEveryByte) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(9, 1024), test::kIdentity);
  for (uint64_t n : boundary_sizes(1024)) {
    auto plain = test::pattern(n, static_cast<uint32_t>(n));
    auto reference = test::encrypt(cipher, plain, {n});
    expect_well_formed(cipher, plain, reference);
    EXPECT_EQ(test::decrypt_all(cipher, reference), plain) << n;
    // Same header => same bytes, however the input was cut.
    EXPECT_EQ(test::encrypt(cipher, plain, test::chunking(n, 1)), reference) << n;
    for (size_t k = 1; k < n; ++k) {
      ASSERT_EQ(test::encrypt(cipher, plain, {k, n - k}), reference) << n << " split at " << k;
    }
    // Decryption too: one byte at a time, and in two pieces split at every byte.
    EXPECT_EQ(test::decrypt_all(cipher, reference, 1), plain) << n;
    Layout l{1024, kTrailerSizeV3};
    for (size_t k = 1; k < reference.size(); ++k) {
      RangeDecryptor dec(cipher, n, 0, n == 0 ? 0 : n - 1);
      std::vector<uint8_t> out;
      auto body = std::span<const uint8_t>(reference).first(l.trailer_offset(n));
      if (k >= body.size()) break;
      dec.update(body.first(k), out);
      dec.update(body.subspan(k), out);
      dec.finish();
      ASSERT_EQ(out, plain) << n << " split at " << k;
    }
  }
}

TEST(RoundTrip, DefaultSegmentsRandomChunks) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, new_header(ring.newest()), test::kIdentity);
  ASSERT_EQ(cipher.header().segment_size, kDefaultSegmentSize);
  for (uint64_t n : boundary_sizes(kDefaultSegmentSize)) {
    auto plain = test::pattern(n, 5);
    auto reference = test::encrypt(cipher, plain, {n});
    expect_well_formed(cipher, plain, reference);
    for (uint32_t seed : {1u, 2u, 3u}) {
      EXPECT_EQ(test::encrypt(cipher, plain, test::chunking(n, 0, 100000, seed)), reference) << n;
      EXPECT_EQ(test::decrypt_all(cipher, reference, 0), plain) << n;
    }
  }
}

TEST(RoundTrip, FiveMegabytesInRandomChunks) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, new_header(ring.newest(), 4096), test::kIdentity);
  auto plain = test::pattern(5 * 1024 * 1024 + 123, 11);
  auto body = test::encrypt(cipher, plain, test::chunking(plain.size(), 0, 300000, 4));
  expect_well_formed(cipher, plain, body);
  EXPECT_EQ(test::decrypt_all(cipher, body, 0), plain);
  EXPECT_EQ(test::decrypt_all(cipher, body, 7), plain);
}

TEST(RoundTrip, EncryptorHoldsBackAtMostOneSegment) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(7, 1024), test::kIdentity);
  StreamEncryptor enc(cipher);
  std::vector<uint8_t> out;
  uint64_t fed = 0;
  for (size_t c : test::chunking(20000, 0, 3000, 9)) {
    auto piece = test::pattern(c, static_cast<uint32_t>(fed));
    enc.update(piece, out);
    fed += c;
    // Everything but the newest (possibly last) segment is out already.
    ASSERT_EQ(out.size(), (fed - 1) / 1024 * 1040) << fed;
  }
  enc.finish(out);
  EXPECT_EQ(out.size(), (Layout{1024, kTrailerSizeV3}.body_size(fed)));
  EXPECT_EQ(enc.plain_size(), fed);
}

TEST(RoundTrip, EncryptorReportsSha256AndRejectsMisuse) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(7, 1024), test::kIdentity);
  auto plain = test::pattern(3000);
  StreamEncryptor enc(cipher);
  std::vector<uint8_t> out;
  enc.update(plain, out);
  enc.finish(out);
  EXPECT_EQ(enc.sha256(), sha256(plain));
  EXPECT_EQ(enc.plain_size(), 3000u);
  try {
    enc.update(plain, out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::internal);
  }
  EXPECT_THROW(enc.finish(out), Error);
}

TEST(RoundTrip, SealAndOpenSingleSegments) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(7, 1024), test::kIdentity);
  auto plain = test::pattern(1024);
  std::vector<uint8_t> sealed(1040), back(1024);
  cipher.seal_segment(5, false, plain, sealed);
  EXPECT_TRUE(cipher.open_segment(5, false, sealed, back));
  EXPECT_EQ(back, plain);
  EXPECT_FALSE(cipher.open_segment(5, true, sealed, back));   // flag is bound
  EXPECT_FALSE(cipher.open_segment(4, false, sealed, back));  // index is bound
  EXPECT_FALSE(cipher.open_segment(5 + (uint64_t{1} << 32), false, sealed, back));
  EXPECT_FALSE(cipher.open_segment(5, false, std::span(sealed).first(15), std::span(back).first(0)));
  std::vector<uint8_t> too_long(1024 + 17), out2(1025);
  EXPECT_FALSE(cipher.open_segment(5, false, too_long, out2));
  EXPECT_THROW(cipher.seal_segment(0, false, plain, std::span(sealed).first(1000)), Error);
  try {
    cipher.seal_segment(kMaxSegmentIndex + 1, true, plain, sealed);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::payload_too_large);
  }
  cipher.seal_segment(kMaxSegmentIndex, true, plain, sealed);  // the highest index is fine
  EXPECT_TRUE(cipher.open_segment(kMaxSegmentIndex, true, sealed, back));
}
