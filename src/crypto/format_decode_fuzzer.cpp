// libFuzzer target: input = 3 selector bytes || header || body.
// Decodes the header (format 1 or 2; format 2 opens as store "fuzz", key
// "seed"), derives the plaintext size from the body size, and
// decrypts a range chosen by the selector bytes, fed in chunks of a chosen
// size. Only haul::Error may escape the format code; layout invariants that
// fail trap. Seeds (valid objects under the key below) are in
// tests/fuzz/corpus/format_decode/, made by testdata/check_vectors.py --corpus.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"

using namespace haul;
using namespace haul::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Keyring ring = Keyring::parse("1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
  static const ObjectIdentity identity{"fuzz", "seed"};
  if (size < 3) return 0;
  const uint64_t r0 = data[0], r1 = data[1];
  const size_t step = size_t{data[2]} * 37 + 1;
  std::span<const uint8_t> rest(data + 3, size - 3);
  try {
    if (rest.size() < kHeaderSize) {
      decode_header(rest);
      __builtin_trap();  // a short header must not decode
    }
    Header h = decode_header(rest.first(kHeaderSize));
    auto body = rest.subspan(kHeaderSize);
    Layout layout{h.segment_size};
    auto n = layout.plain_size(body.size());
    if (!n) return 0;
    if (layout.body_size(*n) != body.size()) __builtin_trap();
    ObjectCipher cipher(ring, h, identity);
    uint64_t first = *n * r0 / 256;
    uint64_t last = *n == 0 ? 0 : first + (*n - first) * r1 / 256;
    RangeDecryptor dec(cipher, *n, first, last);
    const auto& c = dec.cover();
    if (c.body_offset + c.body_length > layout.trailer_offset(*n)) __builtin_trap();
    auto part = body.subspan(c.body_offset, c.body_length);
    std::vector<uint8_t> out;
    for (size_t at = 0; at < part.size(); at += step) {
      dec.update(part.subspan(at, std::min(step, part.size() - at)), out);
    }
    dec.finish();
    if (out.size() != (*n == 0 ? 0 : last - first + 1)) __builtin_trap();
    (void)cipher.open_trailer(body.subspan(layout.trailer_offset(*n)));
  } catch (const Error&) {
    // Expected for anything but an intact object.
  }
  return 0;
}
