// Parts: an object sealed as segment-aligned parts, in any order, is
// byte-identical to the one-shot encryption under the same header.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

// Seals part `index` of `plain` cut in parts of part_size bytes.
std::vector<uint8_t> seal_part(const ObjectCipher& cipher, std::span<const uint8_t> plain, uint64_t part_size,
                               size_t index, bool defer) {
  uint64_t begin = index * part_size;
  uint64_t end = std::min<uint64_t>(plain.size(), begin + part_size);
  bool final_part = end == plain.size();
  StreamEncryptor enc(cipher, begin / test::kSmallSegment, final_part);
  if (final_part && defer) enc.defer_trailer();
  if (final_part && !defer) enc.set_object_totals(plain.size(), sha256(plain));
  std::vector<uint8_t> out;
  auto piece = plain.subspan(begin, end - begin);
  size_t at = 0;
  for (size_t c : test::chunking(piece.size(), 0, 900, static_cast<uint32_t>(index))) {
    enc.update(piece.subspan(at, c), out);
    at += c;
  }
  enc.finish(out);
  EXPECT_EQ(enc.plain_size(), piece.size());
  EXPECT_EQ(enc.sha256(), sha256(piece));  // a part's digest covers the part only
  return out;
}

}  // namespace

TEST(Parts, ThreePartsInAnyOrderEqualTheOneShotBody) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(9, test::kSmallSegment), test::kIdentity);
  for (uint64_t n :
       {uint64_t{5 * test::kSmallSegment + 300}, uint64_t{6 * test::kSmallSegment}}) {  // short and full final part
    auto plain = test::pattern(n, 8);
    auto one_shot = test::encrypt(cipher, plain);
    for (bool defer : {false, true}) {
      std::vector<size_t> order{0, 1, 2};
      do {
        std::vector<std::vector<uint8_t>> parts(3);
        for (size_t i : order) parts[i] = seal_part(cipher, plain, 2 * test::kSmallSegment, i, defer);
        std::vector<uint8_t> body;
        for (const auto& p : parts) body.insert(body.end(), p.begin(), p.end());
        if (defer) {
          auto trailer = cipher.seal_trailer({n, sha256(plain), std::nullopt, 0});
          body.insert(body.end(), trailer.begin(), trailer.end());
        }
        ASSERT_EQ(body, one_shot) << n << " defer=" << defer;
        ASSERT_EQ(test::decrypt_all(cipher, body), plain);
      } while (std::next_permutation(order.begin(), order.end()));
    }
  }
}

TEST(Parts, MisusedPartsAreRejected) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(9, test::kSmallSegment), test::kIdentity);
  auto plain = test::pattern(3 * test::kSmallSegment);
  std::vector<uint8_t> out;
  // A non-final part must end on a segment boundary, and hold something.
  EXPECT_EQ(haul::testing::error_kind_of([&] {
              StreamEncryptor enc(cipher, 0, false);
              enc.update(std::span<const uint8_t>(plain).first(test::kSmallSegment + 1), out);
              enc.finish(out);
            }),
            ErrorKind::bad_request);
  EXPECT_EQ(haul::testing::error_kind_of([&] {
              StreamEncryptor enc(cipher, 0, false);
              enc.update(std::span<const uint8_t>(plain).first(test::kSmallSegment - 1), out);
              enc.finish(out);
            }),
            ErrorKind::bad_request);
  EXPECT_EQ(haul::testing::error_kind_of([&] {
              StreamEncryptor enc(cipher, 2, false);
              enc.finish(out);
            }),
            ErrorKind::bad_request);
  // The final part of a multi-part object: not empty, totals consistent.
  EXPECT_EQ(haul::testing::error_kind_of([&] {
              StreamEncryptor enc(cipher, 2, true);
              enc.set_object_totals(2 * test::kSmallSegment, {});
              enc.finish(out);
            }),
            ErrorKind::bad_request);
  EXPECT_EQ(haul::testing::error_kind_of([&] {
              StreamEncryptor enc(cipher, 2, true);
              enc.update(std::span<const uint8_t>(plain).first(10), out);
              enc.set_object_totals(2 * test::kSmallSegment + 11, {});
              enc.finish(out);
            }),
            ErrorKind::bad_request);
  {
    // No totals: the trailer describes the part alone (callers drop it), and
    // a reader that kept it would reject the object.
    StreamEncryptor enc(cipher, 2, true);
    std::vector<uint8_t> sealed;
    enc.update(std::span<const uint8_t>(plain).first(10), sealed);
    enc.finish(sealed);
    ASSERT_EQ(sealed.size(), 10u + 16u + kTrailerSizeV3);
    auto t = cipher.open_trailer(std::span<const uint8_t>(sealed).last(kTrailerSizeV3));
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->plain_size, 10u);
    EXPECT_NE(t->plain_size, 2 * test::kSmallSegment + 10);
  }
  EXPECT_EQ(haul::testing::error_kind_of([&] { StreamEncryptor enc(cipher, kMaxSegmentIndex + 1, true); }),
            ErrorKind::payload_too_large);
}

TEST(Parts, NonFinalPartEmitsEverySegmentWithoutTheLastFlag) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, test::fixed_header(9, test::kSmallSegment), test::kIdentity);
  auto plain = test::pattern(2 * test::kSmallSegment);
  StreamEncryptor enc(cipher, 4, false);
  std::vector<uint8_t> out;
  enc.update(plain, out);
  enc.finish(out);
  ASSERT_EQ(out.size(), 2 * (test::kSmallSegment + 16));
  std::vector<uint8_t> back(test::kSmallSegment);
  EXPECT_TRUE(cipher.open_segment(5, false, std::span<const uint8_t>(out).last(test::kSmallSegment + 16), back));
  EXPECT_TRUE(std::equal(back.begin(), back.end(), plain.begin() + test::kSmallSegment));
}
