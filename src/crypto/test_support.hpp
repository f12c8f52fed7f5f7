#pragma once
// Helpers shared by the crypto unit tests: a fixed key ring, deterministic
// plaintext, whole-object encryption and range decryption with chunking.

#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"

namespace haul::crypto::test {

// A small segment size: many segments from a few KiB of plaintext.
inline constexpr uint32_t kSmallSegment = 1024;

// The identity the tests seal format-2 objects for (docs/format.md section 3).
inline const ObjectIdentity kIdentity{"test-store", "test/key"};

inline Keyring test_ring() {
  return Keyring::parse(
      "7:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
      "9:f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100\n");
}

inline std::vector<uint8_t> pattern(size_t n, uint32_t seed = 1) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// Splits [0, n) into chunks: every size from `chunk`, or random sizes in
// [1, max_chunk] when chunk == 0.
inline std::vector<size_t> chunking(size_t n, size_t chunk, size_t max_chunk = 5000, uint32_t seed = 3) {
  std::vector<size_t> sizes;
  std::mt19937 rng(seed);
  while (n > 0) {
    size_t c = chunk != 0 ? chunk : 1 + rng() % max_chunk;
    c = std::min(c, n);
    sizes.push_back(c);
    n -= c;
  }
  return sizes;
}

// Encrypts `plain` through a StreamEncryptor fed in the given chunk sizes.
inline std::vector<uint8_t> encrypt(const ObjectCipher& cipher, std::span<const uint8_t> plain,
                                    const std::vector<size_t>& chunks) {
  StreamEncryptor enc(cipher);
  std::vector<uint8_t> body;
  size_t at = 0;
  for (size_t c : chunks) {
    enc.update(plain.subspan(at, c), body);
    at += c;
  }
  enc.finish(body);
  return body;
}

inline std::vector<uint8_t> encrypt(const ObjectCipher& cipher, std::span<const uint8_t> plain) {
  return encrypt(cipher, plain, chunking(plain.size(), 0));
}

// Decrypts [first, last] of an object of plain_size from the whole body,
// feeding exactly the covering body bytes in the given chunking.
inline std::vector<uint8_t> decrypt(const ObjectCipher& cipher, std::span<const uint8_t> body, uint64_t plain_size,
                                    uint64_t first, uint64_t last, size_t chunk = 0) {
  RangeDecryptor dec(cipher, plain_size, first, last);
  auto c = dec.cover();
  auto part = body.subspan(c.body_offset, c.body_length);
  std::vector<uint8_t> out;
  size_t at = 0;
  for (size_t n : chunking(part.size(), chunk)) {
    dec.update(part.subspan(at, n), out);
    at += n;
  }
  dec.finish();
  return out;
}

inline std::vector<uint8_t> decrypt_all(const ObjectCipher& cipher, std::span<const uint8_t> body, size_t chunk = 0) {
  Layout layout = cipher.layout();
  auto size = layout.plain_size(body.size());
  if (!size) throw Error(ErrorKind::integrity, "impossible body size");
  return decrypt(cipher, body, *size, 0, *size == 0 ? 0 : *size - 1, chunk);
}

inline Header fixed_header(uint32_t key_id, uint32_t segment_size, uint8_t salt_seed = 0x40) {
  Header h;
  h.key_id = key_id;
  h.segment_size = segment_size;
  for (size_t i = 0; i < h.salt.size(); ++i) h.salt[i] = static_cast<uint8_t>(salt_seed + i);
  for (size_t i = 0; i < h.nonce_prefix.size(); ++i) h.nonce_prefix[i] = static_cast<uint8_t>(0xe0 + i);
  return h;
}

}  // namespace haul::crypto::test
