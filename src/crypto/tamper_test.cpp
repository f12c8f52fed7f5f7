// Detection: every modification of a stored object fails, and nothing of a
// failing segment is ever emitted.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

constexpr uint64_t kSealed = test::kSmallSegment + 16;

struct Outcome {
  bool ok = false;               // every segment and the trailer verified
  bool integrity_error = false;  // a haul::Error(integrity) was thrown
  std::vector<uint8_t> emitted;  // plaintext handed out before the failure
};

// What a reader does with a stored object: decode the header, derive the
// size from the body size, decrypt all of it, check the trailer. Any
// haul::Error other than integrity fails the test.
Outcome read_whole(const Keyring& ring, std::span<const uint8_t> header, std::span<const uint8_t> body,
                   size_t chunk = 0) {
  Outcome o;
  try {
    Header h = decode_header(header);
    ObjectCipher cipher(ring, h, test::kIdentity);
    Layout l = Layout::for_header(h);
    auto n = l.plain_size(body.size());
    if (!n) throw Error(ErrorKind::integrity, "impossible body size");
    RangeDecryptor dec(cipher, *n, 0, *n == 0 ? 0 : *n - 1);
    auto part = body.subspan(0, dec.cover().body_length);
    size_t at = 0;
    for (size_t k : test::chunking(part.size(), chunk, 600)) {
      dec.update(part.subspan(at, k), o.emitted);
      at += k;
    }
    dec.finish();
    auto trailer = cipher.open_trailer(body.subspan(l.trailer_offset(*n)));
    if (!trailer || trailer->plain_size != *n) throw Error(ErrorKind::integrity, "bad trailer");
    o.ok = true;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::integrity) << e.what();
    o.integrity_error = true;
  }
  return o;
}

struct Fixture {
  Keyring ring = test::test_ring();
  // Format 3 with metadata: every header byte, metadata included, is checked.
  Header header = [] {
    Header h = test::fixed_header(9, test::kSmallSegment);
    h.metadata = {{"content-type", "text/plain"}, {"x-amz-meta-owner", "alice"}};
    return h;
  }();
  std::vector<uint8_t> header_bytes = encode_header(header);
  std::vector<uint8_t> plain = test::pattern(3 * test::kSmallSegment + 5, 17);  // 4 segments, the last holds 5 bytes
  std::vector<uint8_t> body;
  Fixture() {
    ObjectCipher cipher(ring, header, test::kIdentity);
    body = test::encrypt(cipher, plain);
  }
  // Fails unless the object is rejected and what was emitted is exactly the
  // plaintext of the segments before `bad_segment`.
  void expect_rejected(std::span<const uint8_t> h, std::span<const uint8_t> b, uint64_t bad_segment,
                       const std::string& what) const {
    auto o = read_whole(ring, h, b);
    ASSERT_FALSE(o.ok) << what;
    ASSERT_TRUE(o.integrity_error) << what;
    ASSERT_LE(o.emitted.size(), bad_segment * test::kSmallSegment) << what;
    ASSERT_TRUE(std::equal(o.emitted.begin(), o.emitted.end(), plain.begin())) << what;
  }
};

}  // namespace

TEST(Tamper, IntactObjectVerifies) {
  Fixture f;
  auto o = read_whole(f.ring, f.header_bytes, f.body);
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.emitted, f.plain);
}

TEST(Tamper, EveryBodyByteFlipped) {
  Fixture f;
  for (size_t pos = 0; pos < f.body.size(); ++pos) {
    auto b = f.body;
    b[pos] ^= 0x01;
    const uint64_t segments_end = 3 * kSealed + 5 + 16;
    // A flip in the trailer leaves all four segments good: they may be emitted.
    uint64_t segment = pos < segments_end ? pos / kSealed : 4;
    f.expect_rejected(f.header_bytes, b, segment, "flip at " + std::to_string(pos));
    // Byte-exact emission: everything before the bad segment, nothing of it.
    if (pos < segments_end) {
      auto o = read_whole(f.ring, f.header_bytes, b, 1);
      ASSERT_EQ(o.emitted.size(), segment * test::kSmallSegment) << pos;
    }
  }
}

TEST(Tamper, EveryHeaderByteFlipped) {
  Fixture f;
  for (size_t pos = 0; pos < f.header_bytes.size(); ++pos) {
    for (uint8_t mask : {0x01, 0x80}) {
      auto h = f.header_bytes;
      h[pos] ^= mask;
      f.expect_rejected(h, f.body, 0, "header flip at " + std::to_string(pos));
    }
  }
}

TEST(Tamper, SwappedSegments) {
  Fixture f;
  for (uint64_t a = 0; a < 3; ++a) {  // the 3 full segments: swapping keeps sizes
    for (uint64_t b = a + 1; b < 3; ++b) {
      auto body = f.body;
      std::swap_ranges(body.begin() + a * kSealed, body.begin() + (a + 1) * kSealed, body.begin() + b * kSealed);
      f.expect_rejected(f.header_bytes, body, a, "swap " + std::to_string(a) + "," + std::to_string(b));
    }
  }
}

TEST(Tamper, TruncatedAnywhere) {
  Fixture f;
  for (size_t len = 0; len < f.body.size(); ++len) {
    f.expect_rejected(f.header_bytes, std::span<const uint8_t>(f.body).first(len), len / kSealed,
                      "truncated to " + std::to_string(len));
  }
}

TEST(Tamper, LastSegmentDroppedTrailerKept) {
  Fixture f;
  std::vector<uint8_t> body(f.body.begin(), f.body.begin() + 3 * kSealed);
  body.insert(body.end(), f.body.end() - kTrailerSizeV3, f.body.end());
  f.expect_rejected(f.header_bytes, body, 2, "last segment dropped");
  // Also at a full-segment boundary: an object of exactly 3 segments loses its third.
  Fixture g;
  g.plain.resize(3 * test::kSmallSegment);
  ObjectCipher cipher(g.ring, g.header, test::kIdentity);
  g.body = test::encrypt(cipher, g.plain);
  std::vector<uint8_t> short_body(g.body.begin(), g.body.begin() + 2 * kSealed);
  short_body.insert(short_body.end(), g.body.end() - kTrailerSizeV3, g.body.end());
  g.expect_rejected(g.header_bytes, short_body, 1, "third of three segments dropped");
}

TEST(Tamper, Extended) {
  Fixture f;
  for (size_t extra : {1u, 15u, 16u, 17u, 56u, 77u, 1040u, 1096u}) {
    auto b = f.body;
    b.insert(b.end(), extra, 0x00);
    f.expect_rejected(f.header_bytes, b, 3, "appended " + std::to_string(extra));
  }
  // A copy of a real segment inserted before the last one.
  auto b = f.body;
  b.insert(b.begin() + 3 * kSealed, f.body.begin() + kSealed, f.body.begin() + 2 * kSealed);
  f.expect_rejected(f.header_bytes, b, 3, "segment 1 repeated");
  // The whole object followed by itself.
  b = f.body;
  b.insert(b.end(), f.body.begin(), f.body.end());
  f.expect_rejected(f.header_bytes, b, 3, "doubled");
}

TEST(Tamper, TrailerFromAnotherObject) {
  Fixture f;
  Header other = test::fixed_header(9, test::kSmallSegment, 0x41);  // another salt, same key and size
  ObjectCipher other_cipher(f.ring, other, test::kIdentity);
  auto other_body = test::encrypt(other_cipher, f.plain);
  auto b = f.body;
  std::copy(other_body.end() - kTrailerSizeV3, other_body.end(), b.end() - kTrailerSizeV3);
  f.expect_rejected(f.header_bytes, b, 4, "foreign trailer");
  ObjectCipher cipher(f.ring, f.header, test::kIdentity);
  EXPECT_FALSE(cipher.open_trailer(std::span<const uint8_t>(b).last(kTrailerSizeV3)).has_value());
  EXPECT_TRUE(cipher.open_trailer(std::span<const uint8_t>(f.body).last(kTrailerSizeV3)).has_value());
  // And a segment from the other object at the same index.
  b = f.body;
  std::copy_n(other_body.begin() + kSealed, kSealed, b.begin() + kSealed);
  f.expect_rejected(f.header_bytes, b, 1, "foreign segment");
}

TEST(Tamper, UnknownKeyIdAndWrongMasterKey) {
  Fixture f;
  Header h = f.header;
  h.key_id = 8;
  try {
    ObjectCipher cipher(f.ring, h, test::kIdentity);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::integrity);
  }
  // Same id, other secret: the first segment fails, nothing comes out.
  auto wrong = Keyring::parse("9:1111111111111111111111111111111111111111111111111111111111111111\n");
  auto o = read_whole(wrong, f.header_bytes, f.body);
  EXPECT_FALSE(o.ok);
  EXPECT_TRUE(o.integrity_error);
  EXPECT_TRUE(o.emitted.empty());
  ObjectCipher wrong_cipher(wrong, f.header, test::kIdentity);
  EXPECT_FALSE(wrong_cipher.open_trailer(std::span<const uint8_t>(f.body).last(kTrailerSizeV3)).has_value());
}

TEST(Tamper, RangeReadsFailOnlyOnTheirCover) {
  Fixture f;
  ObjectCipher cipher(f.ring, f.header, test::kIdentity);
  auto b = f.body;
  b[2 * kSealed + 100] ^= 0x20;  // inside segment 2
  EXPECT_EQ(test::decrypt(cipher, b, f.plain.size(), 0, 2 * test::kSmallSegment - 1),
            std::vector<uint8_t>(f.plain.begin(), f.plain.begin() + 2 * test::kSmallSegment));
  for (auto [first, last] : {std::pair<uint64_t, uint64_t>{2 * test::kSmallSegment, 2 * test::kSmallSegment},
                             {test::kSmallSegment, 3 * test::kSmallSegment},
                             {0, 3 * test::kSmallSegment + 4}}) {
    RangeDecryptor dec(cipher, f.plain.size(), first, last);
    std::vector<uint8_t> out;
    try {
      dec.update(std::span<const uint8_t>(b).subspan(dec.cover().body_offset, dec.cover().body_length), out);
      FAIL() << first << "-" << last;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::integrity);
    }
    // Only the bytes of authenticated segment(s) before segment 2.
    EXPECT_EQ(out.size(), first < 2 * test::kSmallSegment ? 2 * test::kSmallSegment - first : 0u);
    EXPECT_THROW(dec.update(b, out), Error);  // unusable after a failure
    EXPECT_THROW(dec.finish(), Error);
  }
}
