// Range decryption: every range of a small object, random ranges of a bigger
// one, and the cover (which body bytes a range needs).
#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

// The cover computed independently of Layout.
void expect_cover(const Layout::Cover& c, uint64_t s, uint64_t plain_size, uint64_t first, uint64_t last) {
  uint64_t sealed = s + 16;
  uint64_t segments_end = Layout{static_cast<uint32_t>(s), kTrailerSizeV3}.body_size(plain_size) - 77;
  ASSERT_EQ(c.first_segment, first / s);
  ASSERT_EQ(c.last_segment, last / s);
  ASSERT_EQ(c.body_offset, first / s * sealed);
  ASSERT_EQ(c.body_offset + c.body_length, std::min((last / s + 1) * sealed, segments_end));
}

// Decrypts [first, last] feeding only the covering bytes (a slice of the
// body, so the decryptor cannot read anything else), in the given chunking.
std::vector<uint8_t> decrypt_cover(const ObjectCipher& cipher, const std::vector<uint8_t>& body, uint64_t n,
                                   uint64_t first, uint64_t last, size_t chunk) {
  RangeDecryptor dec(cipher, n, first, last);
  auto c = dec.cover();
  std::vector<uint8_t> out;
  auto part = std::span<const uint8_t>(body).subspan(c.body_offset, c.body_length);
  size_t at = 0;
  for (size_t k : test::chunking(part.size(), chunk, 70000, static_cast<uint32_t>(first + last))) {
    dec.update(part.subspan(at, k), out);
    at += k;
  }
  EXPECT_TRUE(dec.done());
  dec.finish();
  return out;
}

}  // namespace

TEST(Range, EveryRangeOfASmallObject) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(7, 1024), test::kIdentity);
  const uint64_t n = 2 * 1024 + 40;  // two full segments and a short one
  auto plain = test::pattern(n);
  auto body = test::encrypt(cipher, plain);
  std::vector<uint8_t> out;
  for (uint64_t first = 0; first < n; ++first) {
    for (uint64_t last = first; last < n; ++last) {
      RangeDecryptor dec(cipher, n, first, last);
      expect_cover(dec.cover(), 1024, n, first, last);
      out.clear();
      dec.update(std::span<const uint8_t>(body).subspan(dec.cover().body_offset, dec.cover().body_length), out);
      dec.finish();
      ASSERT_EQ(out.size(), last - first + 1);
      ASSERT_TRUE(std::equal(out.begin(), out.end(), plain.begin() + static_cast<ptrdiff_t>(first)))
          << first << "-" << last;
    }
  }
}

TEST(Range, RandomRangesOfABiggerObjectTouchOnlyTheirCover) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, new_header(ring.newest(), 4096), test::kIdentity);
  const uint64_t n = 1024 * 1024 + 777;
  auto plain = test::pattern(n, 21);
  auto body = test::encrypt(cipher, plain);
  std::mt19937_64 rng(99);
  for (int i = 0; i < 300; ++i) {
    uint64_t a = rng() % n, b = rng() % n;
    if (i % 4 == 0) b = std::min(n - 1, a + rng() % 10000);  // many short ranges too
    uint64_t first = std::min(a, b), last = std::max(a, b);
    RangeDecryptor probe(cipher, n, first, last);
    expect_cover(probe.cover(), 4096, n, first, last);
    auto out = decrypt_cover(cipher, body, n, first, last, last - first < 20000 ? 1 : 0);
    ASSERT_EQ(out, std::vector<uint8_t>(plain.begin() + static_cast<ptrdiff_t>(first),
                                        plain.begin() + static_cast<ptrdiff_t>(last) + 1))
        << first << "-" << last;
  }
}

TEST(Range, BytesAfterTheCoverAreIgnored) {
  // A caller using the 2-argument Layout::cover() fetches full segments and
  // may hand over trailer bytes after a short last segment.
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(7, 1024), test::kIdentity);
  auto plain = test::pattern(1500);
  auto body = test::encrypt(cipher, plain);
  RangeDecryptor dec(cipher, 1500, 1000, 1499);
  auto loose = Layout{1024, kTrailerSizeV3}.cover(1000, 1499);
  std::vector<uint8_t> out;
  dec.update(std::span<const uint8_t>(body).subspan(loose.body_offset), out);
  dec.finish();
  EXPECT_EQ(out, std::vector<uint8_t>(plain.begin() + 1000, plain.end()));
}

TEST(Range, EmptyObject) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(7, 1024), test::kIdentity);
  auto body = test::encrypt(cipher, {});
  ASSERT_EQ(body.size(), 16u + 77u);
  for (uint64_t last : {uint64_t{0}, UINT64_MAX}) {  // the range is ignored
    RangeDecryptor dec(cipher, 0, 0, last);
    EXPECT_EQ(dec.cover().body_length, 16u);
    std::vector<uint8_t> out;
    dec.update(body, out);
    dec.finish();
    EXPECT_TRUE(out.empty());
  }
}

TEST(Range, UnsatisfiableRanges) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(7, 1024), test::kIdentity);
  for (auto [first, last] : {std::pair<uint64_t, uint64_t>{0, 100}, {100, 100}, {50, 40}, {0, UINT64_MAX}}) {
    try {
      RangeDecryptor dec(cipher, 100, first, last);
      ADD_FAILURE() << first << "-" << last;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::range_not_satisfiable);
    }
  }
  try {
    RangeDecryptor dec(cipher, (kMaxSegmentIndex + 1) * 1024 + 1, 0, 0);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::payload_too_large);
  }
}

TEST(Range, MissingBytesFailAtFinish) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(7, 1024), test::kIdentity);
  auto plain = test::pattern(3000);
  auto body = test::encrypt(cipher, plain);
  RangeDecryptor dec(cipher, 3000, 0, 2999);
  std::vector<uint8_t> out;
  dec.update(std::span<const uint8_t>(body).first(2 * 1040 + 5), out);
  EXPECT_EQ(out.size(), 2048u);  // two authenticated segments, nothing of the third
  EXPECT_FALSE(dec.done());
  try {
    dec.finish();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::integrity);
  }
}
