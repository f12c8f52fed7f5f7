// libFuzzer target: input = 3 selector bytes || header || body.
// Decodes the header (format 1, 2 or 3; formats 2 and 3 open as store
// "fuzz", key "seed"), checks that a header that decodes re-encodes to the
// same bytes (one encoding per header, metadata included), derives the
// plaintext size from the body size, and decrypts a range chosen by the
// selector bytes, fed in chunks of a chosen size. The body's last bytes are
// also parsed as a trailer plaintext (the parser sits behind the trailer's
// tag, which no mutation forges): one that decodes must re-encode to the
// same bytes. Only haul::Error may escape the format code; layout
// invariants that fail trap. Seeds (valid objects under the key below) are
// in tests/fuzz/corpus/format_decode/, made by testdata/check_vectors.py
// --corpus.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

// Where the header ends: the fixed size for formats 1 and 2 (and for any
// other version byte, which decode_header refuses); format 3 announces its
// metadata's size after the fixed part.
size_t header_length(std::span<const uint8_t> rest) {
  if (rest.size() < kFixedHeaderSize + 4 || rest[4] != kFormatVersion3) return kFixedHeaderSize;
  const uint32_t metadata = uint32_t{rest[52]} << 24 | uint32_t{rest[53]} << 16 | uint32_t{rest[54]} << 8 | rest[55];
  return kFixedHeaderSize + 4 + std::min<size_t>(metadata, kMaxMetadataSize + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Keyring ring = Keyring::parse("1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
  static const ObjectIdentity identity{"fuzz", "seed"};
  if (size < 3) return 0;
  const uint64_t r0 = data[0], r1 = data[1];
  const size_t step = size_t{data[2]} * 37 + 1;
  std::span<const uint8_t> rest(data + 3, size - 3);
  try {
    const size_t header_size = header_length(rest);
    if (rest.size() < header_size) {
      decode_header(rest);
      __builtin_trap();  // a short header must not decode
    }
    const auto header_bytes = rest.first(header_size);
    Header h = decode_header(header_bytes);
    const auto again = encode_header(h);
    if (!std::equal(again.begin(), again.end(), header_bytes.begin(), header_bytes.end())) __builtin_trap();
    auto body = rest.subspan(header_size);
    const size_t trailer_plain = sealed_trailer_size(h.version) - kTagSize;
    if (body.size() >= trailer_plain) {
      const auto tail = body.last(trailer_plain);
      if (auto t = decode_trailer(h, tail)) {
        const auto encoded = encode_trailer(h, *t);
        if (!std::equal(encoded.begin(), encoded.end(), tail.begin(), tail.end())) __builtin_trap();
      }
    }
    Layout layout = Layout::for_header(h);
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
  } catch (const Error& e) {
    // Expected for anything but an intact object; never an internal error
    // (encode_header of a decoded header, encode_trailer of a decoded
    // trailer must both succeed).
    if (e.kind() == ErrorKind::internal) __builtin_trap();
  }
  return 0;
}
