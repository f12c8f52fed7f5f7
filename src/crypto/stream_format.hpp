#pragma once
// Streaming AEAD format for objects at rest (sans-IO; spec in docs/format.md).
//
//   stored object = header || body
//   body          = segment_0 || ... || segment_{n-1} || trailer
//   segment_i     = AES-256-GCM(object_key, nonce_i, plaintext_i, aad=header)
//                   (plaintext_i is segment_size bytes, except the last, which
//                   holds 0..segment_size bytes; an empty object is one empty
//                   final segment)
//   nonce_i       = nonce_prefix(7) || BE32(i) || last_flag(1: 0x00 or 0x01)
//   trailer       = AES-256-GCM(object_key, nonce_prefix || 0xFFFFFFFF || 0x02,
//                   trailer plaintext, aad=header)
//   object_key    = HKDF-SHA256(ikm=master secret, salt=header.salt, info)
//   info (v2, v3) = "haul-vN object key" || BE32(key_id)
//                   || BE32(|store id|) || store id || BE32(|key|) || key
//   info (v1)     = "haul-v1 object key" || BE32(key_id)
//
// Header: v1/v2 are the 52 fixed bytes (magic, version, key id, segment
// size, salt, nonce prefix); v3 appends BE32(metadata size) || metadata, the
// object's HTTP metadata (Content-Type, x-amz-meta-*, ...). The whole header
// is the AAD, so that metadata is authenticated (not encrypted).
// Trailer plaintext: v1/v2 BE64(plaintext_size) || sha256 (40 bytes); v3
// BE64(plaintext_size) || BE32(etag_parts) || flags || sha256 || md5 (61
// bytes), sha256 and md5 each optional (flags bits 0 and 1).
//
// Format 3 (what new_header makes) and format 2 bind the object's identity
// (store id and key as the API names them) into its key: a stored object
// copied to another key or store fails authentication there. Format 1 objects
// (no identity) and format 2 objects still open; their header says so.
//
// Stores keep the header separately addressable (fs: file start; S3: object
// metadata) so a ranged read needs one backend request for the body range.
//
// Threads: every class here is sans-IO and not internally synchronised. An
// ObjectCipher (and the encryptor/decryptor using it) belongs to one thread at
// a time; make one per request (construction costs one HKDF, ~microseconds).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/byte_buffer.hpp"

#include "crypto/keyring.hpp"
#include "crypto/md5.hpp"
#include "crypto/sha256.hpp"

namespace haul::crypto {

inline constexpr uint8_t kFormatVersion1 = 1;               // unbound: any key, any store
inline constexpr uint8_t kFormatVersion2 = 2;               // bound to store id and key
inline constexpr uint8_t kFormatVersion3 = 3;               // v2 + header metadata + MD5/ETag trailer
inline constexpr uint8_t kFormatVersion = kFormatVersion3;  // what new_header writes
inline constexpr size_t kSaltSize = 32;
inline constexpr size_t kNoncePrefixSize = 7;
inline constexpr size_t kTagSize = 16;
// magic "HAUL" + version + key id + segment size + salt + nonce prefix: the
// whole header of formats 1 and 2, the fixed part of format 3's.
inline constexpr size_t kFixedHeaderSize = 4 + 1 + 4 + 4 + kSaltSize + kNoncePrefixSize;
// Format 3's encoded metadata (BE16 count and the entries) is at most 8 KiB:
// it is the AAD of every segment, and stores keep it in object metadata.
inline constexpr size_t kMaxMetadataSize = 8 * 1024;
// Format 3: fixed part || BE32(metadata size) || metadata (>= its 2-byte count).
inline constexpr size_t kMinHeaderSizeV3 = kFixedHeaderSize + 4 + 2;
inline constexpr size_t kMaxHeaderSize = kFixedHeaderSize + 4 + kMaxMetadataSize;
// Trailer of formats 1 and 2: BE64(plaintext size) || sha256.
inline constexpr size_t kTrailerPlainSizeV2 = 8 + 32;
inline constexpr size_t kTrailerSizeV2 = kTrailerPlainSizeV2 + kTagSize;
// Trailer of format 3: BE64(plaintext size) || BE32(etag parts) || flags || sha256 || md5.
inline constexpr size_t kTrailerPlainSizeV3 = 8 + 4 + 1 + 32 + 16;
inline constexpr size_t kTrailerSizeV3 = kTrailerPlainSizeV3 + kTagSize;
inline constexpr size_t kMaxTrailerSize = kTrailerSizeV3;
inline constexpr uint32_t kDefaultSegmentSize = 64 * 1024;  // plaintext bytes
inline constexpr uint32_t kMinSegmentSize = 1024;
inline constexpr uint32_t kMaxSegmentSize = 16 * 1024 * 1024;

// The sealed trailer's size for a format version (1, 2 or 3; Error(internal)
// for any other: decode_header admits no other).
size_t sealed_trailer_size(uint8_t version);

// HTTP metadata stored with a format-3 object (Content-Type, x-amz-meta-*...):
// (name, value) pairs. Names are non-empty lower-case ASCII token characters
// (RFC 9110 tchar without upper case), values any bytes; in a Header they are
// strictly ascending by name (bytewise), so one set of metadata has exactly
// one encoding.
using Metadata = std::vector<std::pair<std::string, std::string>>;

struct Header {
  uint8_t version = kFormatVersion;
  uint32_t key_id = 0;
  uint32_t segment_size = kDefaultSegmentSize;  // plaintext bytes per segment
  std::array<uint8_t, kSaltSize> salt{};
  std::array<uint8_t, kNoncePrefixSize> nonce_prefix{};
  Metadata metadata;  // format 3 only (empty for 1 and 2); authenticated, not encrypted
};

// A fresh format-3 header for a new object: random salt and nonce prefix
// (RAND_bytes), key id of `key`, `metadata` sorted by name. Throws
// Error(bad_request) for metadata that cannot be stored (a bad or duplicate
// name, more than kMaxMetadataSize bytes encoded; the message says which),
// Error(internal) if segment_size is out of [kMinSegmentSize,
// kMaxSegmentSize] or the random generator fails.
Header new_header(const MasterKey& key, uint32_t segment_size = kDefaultSegmentSize, Metadata metadata = {});
// The stored bytes: kFixedHeaderSize for formats 1 and 2; for format 3 the
// fixed part, BE32(metadata size), then BE16(count) and per entry
// BE16(|name|) name BE32(|value|) value. Throws Error(bad_request) for
// metadata new_header would refuse, Error(internal) for metadata that is
// not in ascending order or is given to format 1 or 2 (new_header sorts).
std::vector<uint8_t> encode_header(const Header& header);
// Throws Error(integrity) unless bytes is exactly one valid header: bad
// magic, a version other than 1, 2 or 3, segment size out of
// [kMinSegmentSize, kMaxSegmentSize], a size other than kFixedHeaderSize
// (1, 2) or than the fixed part plus the metadata it announces (3), and for
// format 3 metadata that is malformed, too large, badly named or not
// strictly ascending by name (so no two encodings decode alike).
Header decode_header(std::span<const uint8_t> bytes);

// Segment indexes run 0..kMaxSegmentIndex; 0xFFFFFFFF is the trailer's.
inline constexpr uint64_t kMaxSegmentIndex = 0xFFFFFFFEu;

// Sizes and positions; pure arithmetic on a segment size and the trailer's
// size (which depends on the format: Layout::for_header). The segment size
// must be in [kMinSegmentSize, kMaxSegmentSize] (as decode_header and
// new_header guarantee) and the trailer size one of kTrailerSizeV2 and
// kTrailerSizeV3; other values throw Error(internal).
struct Layout {
  // No defaults: a caller that forgot the trailer would mis-size every
  // body of the other format, so each names it (or uses for_header).
  Layout(uint32_t segment, uint64_t trailer) : segment_size(segment), trailer_size(trailer) {}
  static Layout for_header(const Header& header) { return {header.segment_size, sealed_trailer_size(header.version)}; }

  uint32_t segment_size;
  uint64_t trailer_size;  // sealed trailer bytes at the end of the body

  uint64_t sealed_segment_size() const { return uint64_t{segment_size} + kTagSize; }
  // >= 1. Throws Error(payload_too_large) when the object would need more
  // than kMaxSegmentIndex + 1 segments (body_size and cover(.., plain_size) too).
  uint64_t segment_count(uint64_t plain_size) const;
  uint64_t body_size(uint64_t plain_size) const;  // segments + trailer
  // Inverse of body_size; nullopt when no plaintext size gives this body size.
  std::optional<uint64_t> plain_size(uint64_t body_size) const;
  // Plaintext bytes in segment `index` of an object of plain_size bytes.
  uint64_t segment_plain_size(uint64_t index, uint64_t plain_size) const;
  // Where the trailer starts in the body (= body_size - trailer_size).
  uint64_t trailer_offset(uint64_t plain_size) const { return body_size(plain_size) - trailer_size; }

  // The sealed segments covering plaintext [first, last] (inclusive).
  struct Cover {
    uint64_t first_segment;
    uint64_t last_segment;
    uint64_t body_offset;  // where first_segment starts in the body
    uint64_t body_length;  // bytes up to the end of last_segment
  };
  // Without the object size every segment counts as full, so when the range
  // reaches the object's last (short) segment, body_length runs past it into
  // the trailer; RangeDecryptor ignores such extra bytes. Throws
  // Error(range_not_satisfiable) when first > last.
  Cover cover(uint64_t first, uint64_t last) const;
  // Exact cover for an object of plain_size bytes (the last segment's real
  // length). Throws Error(range_not_satisfiable) unless first <= last <
  // plain_size. For an empty object, any range gives the one empty segment.
  Cover cover(uint64_t first, uint64_t last, uint64_t plain_size) const;
};

// Whom a format-2 object belongs to: the store's identity (the gateway's
// store name, or its --store-id) and the object key as the API names it (not
// a backend path: a store may move to another bucket or prefix). Both are
// bound into the object key; format 1 ignores them.
struct ObjectIdentity {
  std::string store;  // 1..kMaxStoreIdSize bytes
  std::string key;    // 1..kMaxIdentityKeySize bytes
};
inline constexpr size_t kMaxStoreIdSize = 255;
inline constexpr size_t kMaxIdentityKeySize = 1024;  // = the longest valid object key

// Per-object key material; seals and opens single segments and the trailer.
class ObjectCipher {
 public:
  // Format 2 derives the object key from `identity` too (only read here, not
  // kept); an empty or oversized store id or key is Error(internal) (callers
  // validate them first). Throws Error(integrity) when the header's key id is
  // not in the keyring, or for a header that decode_header would reject.
  ObjectCipher(const Keyring& keys, const Header& header, const ObjectIdentity& identity);
  ~ObjectCipher();
  ObjectCipher(const ObjectCipher&) = delete;
  ObjectCipher& operator=(const ObjectCipher&) = delete;

  const Header& header() const { return header_; }
  // out.size() must be plain.size() + kTagSize, plain.size() <= segment size
  // (Error(internal) otherwise); index <= kMaxSegmentIndex
  // (Error(payload_too_large) otherwise). out may not overlap plain.
  void seal_segment(uint64_t index, bool last, std::span<const uint8_t> plain, std::span<uint8_t> out) const;
  // out.size() must be sealed.size() - kTagSize. False when authentication
  // fails (or the sizes or the index are impossible). On false, out holds
  // unauthenticated bytes: the caller must discard them.
  [[nodiscard]] bool open_segment(uint64_t index, bool last, std::span<const uint8_t> sealed,
                                  std::span<uint8_t> out) const;

  // What the trailer authenticates. Formats 1 and 2 always carry sha256 and
  // never md5 (they open with etag_parts 0); format 3 carries either, both or
  // none. md5 is MD5(plaintext) when etag_parts is 0, else the MD5 of the
  // concatenated binary MD5s of an S3 multipart upload's etag_parts parts
  // (the ETag "hex-N"); etag_parts > 0 needs md5.
  struct TrailerContents {
    uint64_t plain_size = 0;
    std::optional<std::array<uint8_t, 32>> sha256;
    std::optional<std::array<uint8_t, 16>> md5;
    uint32_t etag_parts = 0;
  };
  // sealed_trailer_size(header().version) bytes. Throws Error(internal) for contents
  // the format cannot carry (formats 1/2: no sha256, an md5 or etag_parts;
  // any: etag_parts without md5).
  std::vector<uint8_t> seal_trailer(const TrailerContents& contents) const;
  // nullopt when authentication fails, sealed.size() is not the format's
  // trailer size, or (format 3) the flags have unknown bits, an absent
  // digest's bytes are not zero, or etag_parts comes without md5.
  std::optional<TrailerContents> open_trailer(std::span<const uint8_t> sealed) const;
  // The stored header bytes: the AAD of every seal.
  std::span<const uint8_t> header_bytes() const { return header_bytes_; }
  Layout layout() const { return Layout::for_header(header_); }

 private:
  Header header_;
  std::vector<uint8_t> header_bytes_;  // the AAD of every seal
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;  // EVP contexts keyed once; only the IV changes per seal
};

// The trailer's plaintext, before sealing and after opening (what
// ObjectCipher seals and opens; apart so tests and the fuzzer reach the
// parser without forging tags). encode_trailer throws as seal_trailer does.
// decode_trailer returns nullopt for a plaintext encode_trailer never makes:
// another size than the format's, and in format 3 unknown flag bits, bytes
// in an absent digest, or etag_parts without md5 (so each trailer has one
// encoding).
std::vector<uint8_t> encode_trailer(const Header& header, const ObjectCipher::TrailerContents& contents);
std::optional<ObjectCipher::TrailerContents> decode_trailer(const Header& header, std::span<const uint8_t> plain);

// Plaintext in, body bytes out, in bounded memory (< one segment buffered).
// Encrypts a whole object, or one part of it: parts start on a segment
// boundary (first_segment) and only the final part seals the last segment and
// the trailer. A part's SHA-256 covers its own plaintext only.
class StreamEncryptor {
 public:
  // Keeps a reference to cipher: it must outlive the encryptor.
  StreamEncryptor(const ObjectCipher& cipher, uint64_t first_segment = 0, bool final_part = true);
  StreamEncryptor(const StreamEncryptor&) = delete;  // a copy would share the running hash
  StreamEncryptor& operator=(const StreamEncryptor&) = delete;
  StreamEncryptor(StreamEncryptor&&) = default;
  // Appends every completed sealed segment to out. A full segment is held back
  // until more input or finish() says whether it is the last one.
  // Out: std::vector<uint8_t>, or ByteBuffer for hot paths (it grows without
  // zero-filling what the cipher writes over; core/byte_buffer.hpp).
  template <class Out>
  void update(std::span<const uint8_t> plain, Out& out);
  // Seals what is left: for the final part, the last segment (flag set) and the
  // trailer (this encryptor's size, SHA-256 and, if computed, MD5; or the
  // totals given). For other parts, the held segment must be full
  // (Error(bad_request) otherwise).
  // A final part that starts after segment 0 must hold >= 1 byte, and totals
  // given by set_object_totals() must match its position (first_segment *
  // segment_size + its bytes); both Error(bad_request). Without totals its
  // trailer describes the part alone, which is only good for dropping:
  // prefer defer_trailer() when the caller seals the trailer itself.
  // Called once; update() after finish() is Error(internal).
  template <class Out>
  void finish(Out& out);
  // Bytes of plaintext seen and their SHA-256 (valid after finish()).
  uint64_t plain_size() const { return plain_size_; }
  std::array<uint8_t, 32> sha256() const { return sha256_; }
  // Also hash the plaintext with MD5 (S3's ETag), into the format-3 trailer
  // and md5(). Off by default: MD5 costs more CPU than AES-GCM and only the
  // S3 API needs it. Call before the first update(); Error(internal) after
  // it, or for a format-1/2 cipher (their trailer has no MD5).
  void compute_md5();
  // MD5 of the plaintext seen (valid after finish(); empty unless compute_md5()).
  const std::optional<std::array<uint8_t, 16>>& md5() const { return md5_; }
  // For the final part of a multi-part object, the trailer needs the whole
  // object's size and digest; set them before finish(). The second form gives
  // every trailer field (e.g. an S3 multipart ETag: md5 of the parts' MD5s,
  // etag_parts); they are sealed as given.
  void set_object_totals(uint64_t plain_size, const std::array<uint8_t, 32>& sha256);
  void set_object_totals(const ObjectCipher::TrailerContents& totals);
  // For the final part when the whole object's digest is not known yet (parts
  // uploaded in any order): finish() seals the last segment but no trailer;
  // the caller appends cipher.seal_trailer({size, sha256}) to the body later.
  void defer_trailer() { defer_trailer_ = true; }

 private:
  template <class Out>
  void seal_one(std::span<const uint8_t> plain, bool last, Out& out);

  const ObjectCipher& cipher_;
  uint64_t first_segment_;
  uint64_t next_segment_;
  bool final_part_;
  bool defer_trailer_ = false;
  bool finished_ = false;
  std::vector<uint8_t> pending_;  // plaintext of the segment being filled
  uint64_t plain_size_ = 0;
  std::array<uint8_t, 32> sha256_{};
  Sha256 hash_;                  // of the plaintext, fed as it streams through
  std::optional<Md5> md5_hash_;  // likewise, when compute_md5()
  std::optional<std::array<uint8_t, 16>> md5_;
  std::optional<ObjectCipher::TrailerContents> totals_;
};

// Body bytes of the covering segments in, plaintext of [first, last] out.
// Any authentication failure throws Error(integrity): nothing unauthenticated
// is ever emitted. The caller streams the output and aborts the response on
// an exception.
class RangeDecryptor {
 public:
  // plain_size is the object's plaintext size (from Layout::plain_size of the
  // stored body size); it decides which segment carries the last flag.
  // Throws Error(range_not_satisfiable) unless first <= last < plain_size; for
  // an empty object the range is ignored (cover() is its one empty segment,
  // which update() authenticates, emitting nothing). Keeps a reference to
  // cipher: it must outlive the decryptor.
  RangeDecryptor(const ObjectCipher& cipher, uint64_t plain_size, uint64_t first, uint64_t last);
  // Feed body bytes in order, starting at cover().body_offset, in any
  // chunking. Appends to out the plaintext of [first, last] from each segment
  // once that segment authenticates; a segment that fails throws
  // Error(integrity) before any of its bytes reach out. Bytes past the end of
  // cover() are ignored. After a throw the decryptor is unusable. Out as for
  // StreamEncryptor::update.
  template <class Out>
  void update(std::span<const uint8_t> body, Out& out);
  // Throws Error(integrity) when the covering segments were not all seen.
  void finish();
  // Exact: body_length ends where the last covering segment ends.
  const Layout::Cover& cover() const { return cover_; }
  // True once every covering segment has been authenticated.
  bool done() const { return segment_ > cover_.last_segment; }

 private:
  template <class Out>
  void open_one(std::span<const uint8_t> sealed, Out& out);

  const ObjectCipher& cipher_;
  Layout layout_;
  uint64_t plain_size_;
  uint64_t first_;
  uint64_t last_;
  Layout::Cover cover_;
  uint64_t segment_;              // index of the segment being filled
  std::vector<uint8_t> pending_;  // sealed bytes of that segment
  std::vector<uint8_t> plain_;    // scratch for segments only partly wanted
  bool failed_ = false;
};

}  // namespace haul::crypto
