// SHA-256, HMAC-SHA256 and HKDF-SHA256 against their published vectors
// (FIPS 180-2, RFC 4231, RFC 5869), and the incremental hasher against the
// one-shot one at every split.
#include <gtest/gtest.h>

#include <string>

#include "core/hex.hpp"
#include "crypto/sha256.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

std::vector<uint8_t> hex_bytes(std::string_view hex) {
  return from_hex(hex).value();
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(std::string_view()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  EXPECT_EQ(h.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string piece(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(piece.data(), piece.size());  // a million 'a'
  EXPECT_EQ(h.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The hasher starts over after a digest.
  h.update("abc", 3);
  EXPECT_EQ(h.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShotAtEverySplit) {
  const std::string text = "The quick brown fox jumps over the lazy dog, twice over: the quick brown fox.";
  const Digest whole = sha256(as_bytes(text));
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Sha256 h;
    h.update(as_bytes(text).first(cut));
    h.update(as_bytes(text).subspan(cut));
    EXPECT_EQ(h.finish(), whole) << cut;
  }
  Sha256 moved_from;
  moved_from.update("abc", 3);
  Sha256 moved = std::move(moved_from);
  EXPECT_EQ(moved.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HmacSha256, Rfc4231) {
  // Test case 2: a key shorter than the block.
  EXPECT_EQ(to_hex(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block (hashed first).
  const std::vector<uint8_t> key(131, 0xaa);
  EXPECT_EQ(to_hex(hmac_sha256(key, as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HkdfSha256, Rfc5869) {
  const std::vector<uint8_t> ikm(22, 0x0b);
  std::vector<uint8_t> okm(42);
  // Test case 1.
  hkdf_sha256(ikm, hex_bytes("000102030405060708090a0b0c"), hex_bytes("f0f1f2f3f4f5f6f7f8f9"), okm);
  EXPECT_EQ(to_hex(okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  // Test case 3: no salt, no info.
  hkdf_sha256(ikm, {}, {}, okm);
  EXPECT_EQ(to_hex(okm), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

}  // namespace
