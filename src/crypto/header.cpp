// The object header: encoding, decoding and minting a fresh one.
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "crypto/be.hpp"
#include "crypto/stream_format.hpp"

namespace haul::crypto {

namespace {

constexpr uint8_t kMagic[4] = {'H', 'A', 'U', 'L'};
// Field offsets inside the header.
constexpr size_t kVersionAt = 4;
constexpr size_t kKeyIdAt = 5;
constexpr size_t kSegmentSizeAt = 9;
constexpr size_t kSaltAt = 13;
constexpr size_t kNoncePrefixAt = kSaltAt + kSaltSize;
static_assert(kNoncePrefixAt + kNoncePrefixSize == kHeaderSize);

bool segment_size_ok(uint32_t s) {
  return s >= kMinSegmentSize && s <= kMaxSegmentSize;
}

}  // namespace

Header new_header(const MasterKey& key, uint32_t segment_size) {
  if (!segment_size_ok(segment_size)) {
    throw Error(ErrorKind::internal, "segment size " + std::to_string(segment_size) + " is out of range");
  }
  Header h;
  h.key_id = key.id;
  h.segment_size = segment_size;
  if (RAND_bytes(h.salt.data(), static_cast<int>(h.salt.size())) != 1 ||
      RAND_bytes(h.nonce_prefix.data(), static_cast<int>(h.nonce_prefix.size())) != 1) {
    throw Error(ErrorKind::internal, "the system random generator failed");
  }
  return h;
}

std::array<uint8_t, kHeaderSize> encode_header(const Header& header) {
  std::array<uint8_t, kHeaderSize> out{};
  std::copy(std::begin(kMagic), std::end(kMagic), out.begin());
  out[kVersionAt] = header.version;
  detail::store_be32(&out[kKeyIdAt], header.key_id);
  detail::store_be32(&out[kSegmentSizeAt], header.segment_size);
  std::copy(header.salt.begin(), header.salt.end(), out.begin() + kSaltAt);
  std::copy(header.nonce_prefix.begin(), header.nonce_prefix.end(), out.begin() + kNoncePrefixAt);
  return out;
}

Header decode_header(std::span<const uint8_t> bytes) {
  if (bytes.size() != kHeaderSize) {
    throw Error(ErrorKind::integrity,
                "object header is " + std::to_string(bytes.size()) + " bytes, expected " + std::to_string(kHeaderSize));
  }
  if (!std::equal(std::begin(kMagic), std::end(kMagic), bytes.begin())) {
    throw Error(ErrorKind::integrity, "object header has a bad magic (not a haul object)");
  }
  Header h;
  h.version = bytes[kVersionAt];
  if (h.version != kFormatVersion1 && h.version != kFormatVersion2) {
    throw Error(ErrorKind::integrity, "object format version " + std::to_string(h.version) + " is not supported");
  }
  h.key_id = detail::load_be32(&bytes[kKeyIdAt]);
  h.segment_size = detail::load_be32(&bytes[kSegmentSizeAt]);
  if (!segment_size_ok(h.segment_size)) {
    throw Error(ErrorKind::integrity, "object header has a bad segment size " + std::to_string(h.segment_size));
  }
  std::copy_n(bytes.begin() + kSaltAt, kSaltSize, h.salt.begin());
  std::copy_n(bytes.begin() + kNoncePrefixAt, kNoncePrefixSize, h.nonce_prefix.begin());
  return h;
}

}  // namespace haul::crypto
