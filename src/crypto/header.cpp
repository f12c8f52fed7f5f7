// The object header: encoding, decoding and minting a fresh one.
#include <openssl/rand.h>

#include <algorithm>
#include <string>
#include <string_view>

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
static_assert(kNoncePrefixAt + kNoncePrefixSize == kFixedHeaderSize);
// Format 3: BE32(metadata size) after the fixed part, then the metadata.
constexpr size_t kMetadataSizeAt = kFixedHeaderSize;
constexpr size_t kMetadataAt = kMetadataSizeAt + 4;

bool segment_size_ok(uint32_t s) {
  return s >= kMinSegmentSize && s <= kMaxSegmentSize;
}

// RFC 9110 token characters, upper case excluded: HTTP field names are case
// insensitive, so one spelling keeps one encoding per set of metadata.
bool name_char_ok(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool name_ok(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), name_char_ok);
}

// BE16(count), then BE16(|name|) name BE32(|value|) value per entry.
size_t encoded_size(const Metadata& metadata) {
  size_t n = 2;
  for (const auto& [name, value] : metadata) n += 2 + name.size() + 4 + value.size();
  return n;
}

// What new_header and encode_header refuse as the caller's input
// (Error(bad_request)): bad names, repeated names, too many bytes. The
// order is checked apart, since new_header sorts first.
void check_storable(const Metadata& metadata) {
  for (size_t i = 0; i < metadata.size(); ++i) {
    const std::string& name = metadata[i].first;
    if (!name_ok(name)) {
      throw Error(ErrorKind::bad_request,
                  "metadata name '" + name.substr(0, 64) +
                      "' is not a lower-case HTTP token (letters a-z, digits, !#$%&'*+-.^_`|~)");
    }
    if (i > 0 && metadata[i - 1].first == name) {
      throw Error(ErrorKind::bad_request, "metadata name '" + name.substr(0, 64) + "' is given twice");
    }
  }
  const size_t size = encoded_size(metadata);
  if (size > kMaxMetadataSize) {
    throw Error(ErrorKind::bad_request, "object metadata takes " + std::to_string(size) + " bytes encoded, more than " +
                                            "the " + std::to_string(kMaxMetadataSize) + " bytes allowed");
  }
}

[[noreturn]] void bad_metadata(const std::string& why) {
  throw Error(ErrorKind::integrity, "object header has malformed metadata (" + why + ")");
}

// Parses format 3's metadata, which must be exactly `bytes`, in its one
// canonical encoding. Throws Error(integrity).
Metadata decode_metadata(std::span<const uint8_t> bytes) {
  size_t at = 0;
  auto take = [&](size_t n) {
    if (bytes.size() - at < n) bad_metadata("truncated");
    auto piece = bytes.subspan(at, n);
    at += n;
    return piece;
  };
  auto be16 = [](std::span<const uint8_t> p) { return static_cast<size_t>(p[0]) << 8 | p[1]; };
  const size_t count = be16(take(2));
  Metadata metadata;
  for (size_t i = 0; i < count; ++i) {
    const auto name_bytes = take(be16(take(2)));
    std::string name(name_bytes.begin(), name_bytes.end());
    if (!name_ok(name)) bad_metadata("a name that is not a lower-case token");
    if (!metadata.empty() && !(metadata.back().first < name)) bad_metadata("names not strictly ascending");
    const auto value_bytes = take(detail::load_be32(take(4).data()));
    metadata.emplace_back(std::move(name), std::string(value_bytes.begin(), value_bytes.end()));
  }
  if (at != bytes.size()) bad_metadata("bytes after the last entry");
  return metadata;
}

}  // namespace

size_t sealed_trailer_size(uint8_t version) {
  switch (version) {
    case kFormatVersion1:
    case kFormatVersion2: return kTrailerSizeV2;
    case kFormatVersion3: return kTrailerSizeV3;
    default: throw Error(ErrorKind::internal, "no trailer for format version " + std::to_string(version));
  }
}

Header new_header(const MasterKey& key, uint32_t segment_size, Metadata metadata) {
  if (!segment_size_ok(segment_size)) {
    throw Error(ErrorKind::internal, "segment size " + std::to_string(segment_size) + " is out of range");
  }
  // Bytewise (std::string compares as unsigned bytes), as decode_header checks.
  std::stable_sort(metadata.begin(), metadata.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  check_storable(metadata);
  Header h;
  h.version = kFormatVersion3;
  h.key_id = key.id;
  h.segment_size = segment_size;
  h.metadata = std::move(metadata);
  if (RAND_bytes(h.salt.data(), static_cast<int>(h.salt.size())) != 1 ||
      RAND_bytes(h.nonce_prefix.data(), static_cast<int>(h.nonce_prefix.size())) != 1) {
    throw Error(ErrorKind::internal, "the system random generator failed");
  }
  return h;
}

std::vector<uint8_t> encode_header(const Header& header) {
  const bool v3 = header.version == kFormatVersion3;
  if (!v3 && !header.metadata.empty()) {
    throw Error(ErrorKind::internal, "format " + std::to_string(header.version) + " headers carry no metadata");
  }
  if (v3) {
    check_storable(header.metadata);
    if (!std::is_sorted(header.metadata.begin(), header.metadata.end(),
                        [](const auto& a, const auto& b) { return a.first < b.first; })) {
      throw Error(ErrorKind::internal, "header metadata is not sorted by name (new_header sorts it)");
    }
  }
  const size_t metadata_size = v3 ? encoded_size(header.metadata) : 0;
  std::vector<uint8_t> out(kFixedHeaderSize + (v3 ? 4 + metadata_size : 0));
  std::copy(std::begin(kMagic), std::end(kMagic), out.begin());
  out[kVersionAt] = header.version;
  detail::store_be32(&out[kKeyIdAt], header.key_id);
  detail::store_be32(&out[kSegmentSizeAt], header.segment_size);
  std::copy(header.salt.begin(), header.salt.end(), out.begin() + kSaltAt);
  std::copy(header.nonce_prefix.begin(), header.nonce_prefix.end(), out.begin() + kNoncePrefixAt);
  if (!v3) return out;
  // Sizes fit: check_storable bounds the whole metadata by kMaxMetadataSize.
  detail::store_be32(&out[kMetadataSizeAt], static_cast<uint32_t>(metadata_size));
  uint8_t* p = &out[kMetadataAt];
  auto put16 = [&](size_t v) {
    *p++ = static_cast<uint8_t>(v >> 8);
    *p++ = static_cast<uint8_t>(v);
  };
  put16(header.metadata.size());
  for (const auto& [name, value] : header.metadata) {
    put16(name.size());
    p = std::copy(name.begin(), name.end(), p);
    detail::store_be32(p, static_cast<uint32_t>(value.size()));
    p = std::copy(value.begin(), value.end(), p + 4);
  }
  return out;
}

Header decode_header(std::span<const uint8_t> bytes) {
  if (bytes.size() < kFixedHeaderSize) {
    throw Error(ErrorKind::integrity, "object header is " + std::to_string(bytes.size()) +
                                          " bytes, expected at least " + std::to_string(kFixedHeaderSize));
  }
  if (!std::equal(std::begin(kMagic), std::end(kMagic), bytes.begin())) {
    throw Error(ErrorKind::integrity, "object header has a bad magic (not a haul object)");
  }
  Header h;
  h.version = bytes[kVersionAt];
  if (h.version != kFormatVersion1 && h.version != kFormatVersion2 && h.version != kFormatVersion3) {
    throw Error(ErrorKind::integrity, "object format version " + std::to_string(h.version) + " is not supported");
  }
  h.key_id = detail::load_be32(&bytes[kKeyIdAt]);
  h.segment_size = detail::load_be32(&bytes[kSegmentSizeAt]);
  if (!segment_size_ok(h.segment_size)) {
    throw Error(ErrorKind::integrity, "object header has a bad segment size " + std::to_string(h.segment_size));
  }
  std::copy_n(bytes.begin() + kSaltAt, kSaltSize, h.salt.begin());
  std::copy_n(bytes.begin() + kNoncePrefixAt, kNoncePrefixSize, h.nonce_prefix.begin());
  size_t expected = kFixedHeaderSize;
  if (h.version == kFormatVersion3) {
    if (bytes.size() < kMetadataAt) bad_metadata("no metadata size");
    const uint32_t metadata_size = detail::load_be32(&bytes[kMetadataSizeAt]);
    if (metadata_size > kMaxMetadataSize) bad_metadata(std::to_string(metadata_size) + " bytes");
    expected = kMetadataAt + metadata_size;
    if (bytes.size() == expected) h.metadata = decode_metadata(bytes.subspan(kMetadataAt));
  }
  if (bytes.size() != expected) {
    throw Error(ErrorKind::integrity, "object header is " + std::to_string(bytes.size()) + " bytes, expected " +
                                          std::to_string(expected) + " for format " + std::to_string(h.version));
  }
  return h;
}

}  // namespace haul::crypto
