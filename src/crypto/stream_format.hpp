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
//                   BE64(plaintext_size) || sha256(plaintext), aad=header)
//   object_key    = HKDF-SHA256(ikm=master secret, salt=header.salt, info)
//   info (v2)     = "haul-v2 object key" || BE32(key_id)
//                   || BE32(|store id|) || store id || BE32(|key|) || key
//   info (v1)     = "haul-v1 object key" || BE32(key_id)
//
// Format 2 (what new_header makes) binds the object's identity (store id and
// key as the API names them) into its key: a stored object copied to another
// key or store fails authentication there. Format 1 objects (no identity)
// still open; their header says version 1.
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

#include "crypto/keyring.hpp"
#include "crypto/sha256.hpp"

namespace haul::crypto {

inline constexpr uint8_t kFormatVersion1 = 1;               // unbound: any key, any store
inline constexpr uint8_t kFormatVersion2 = 2;               // bound to store id and key
inline constexpr uint8_t kFormatVersion = kFormatVersion2;  // what new_header writes
inline constexpr size_t kSaltSize = 32;
inline constexpr size_t kNoncePrefixSize = 7;
inline constexpr size_t kTagSize = 16;
// magic "HAUL" + version + key id + segment size + salt + nonce prefix
inline constexpr size_t kHeaderSize = 4 + 1 + 4 + 4 + kSaltSize + kNoncePrefixSize;
inline constexpr size_t kTrailerPlainSize = 8 + 32;
inline constexpr size_t kTrailerSize = kTrailerPlainSize + kTagSize;
inline constexpr uint32_t kDefaultSegmentSize = 64 * 1024;  // plaintext bytes
inline constexpr uint32_t kMinSegmentSize = 1024;
inline constexpr uint32_t kMaxSegmentSize = 16 * 1024 * 1024;

struct Header {
  uint8_t version = kFormatVersion;
  uint32_t key_id = 0;
  uint32_t segment_size = kDefaultSegmentSize;  // plaintext bytes per segment
  std::array<uint8_t, kSaltSize> salt{};
  std::array<uint8_t, kNoncePrefixSize> nonce_prefix{};
};

// A fresh header for a new object: random salt and nonce prefix (RAND_bytes),
// key id of `key`. Throws Error(internal) if segment_size is out of
// [kMinSegmentSize, kMaxSegmentSize] or the random generator fails.
Header new_header(const MasterKey& key, uint32_t segment_size = kDefaultSegmentSize);
std::array<uint8_t, kHeaderSize> encode_header(const Header& header);
// Throws Error(integrity) on a size other than kHeaderSize, bad magic, a
// version other than 1 or 2, segment size out of [kMinSegmentSize, kMaxSegmentSize].
Header decode_header(std::span<const uint8_t> bytes);

// Segment indexes run 0..kMaxSegmentIndex; 0xFFFFFFFF is the trailer's.
inline constexpr uint64_t kMaxSegmentIndex = 0xFFFFFFFEu;

// Sizes and positions; pure arithmetic on a segment size. The segment size
// must be in [kMinSegmentSize, kMaxSegmentSize] (as decode_header and
// new_header guarantee); other values throw Error(internal).
struct Layout {
  uint32_t segment_size = kDefaultSegmentSize;

  uint64_t sealed_segment_size() const { return uint64_t{segment_size} + kTagSize; }
  // >= 1. Throws Error(payload_too_large) when the object would need more
  // than kMaxSegmentIndex + 1 segments (body_size and cover(.., plain_size) too).
  uint64_t segment_count(uint64_t plain_size) const;
  uint64_t body_size(uint64_t plain_size) const;  // segments + trailer
  // Inverse of body_size; nullopt when no plaintext size gives this body size.
  std::optional<uint64_t> plain_size(uint64_t body_size) const;
  // Plaintext bytes in segment `index` of an object of plain_size bytes.
  uint64_t segment_plain_size(uint64_t index, uint64_t plain_size) const;
  // Where the trailer starts in the body (= body_size - kTrailerSize).
  uint64_t trailer_offset(uint64_t plain_size) const { return body_size(plain_size) - kTrailerSize; }

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

  struct TrailerContents {
    uint64_t plain_size;
    std::array<uint8_t, 32> sha256;
  };
  std::array<uint8_t, kTrailerSize> seal_trailer(const TrailerContents& contents) const;
  // nullopt when authentication fails or sealed.size() != kTrailerSize.
  std::optional<TrailerContents> open_trailer(std::span<const uint8_t> sealed) const;

 private:
  Header header_;
  std::array<uint8_t, kHeaderSize> header_bytes_;  // the AAD of every seal
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;  // EVP contexts keyed once; only the IV changes per seal
};

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
  void update(std::span<const uint8_t> plain, std::vector<uint8_t>& out);
  // Seals what is left: for the final part, the last segment (flag set) and the
  // trailer (object_plain_size, object_sha256). For other parts, the held
  // segment must be full (Error(bad_request) otherwise).
  // A final part that starts after segment 0 must hold >= 1 byte, and totals
  // given by set_object_totals() must match its position (first_segment *
  // segment_size + its bytes); both Error(bad_request). Without totals its
  // trailer describes the part alone, which is only good for dropping:
  // prefer defer_trailer() when the caller seals the trailer itself.
  // Called once; update() after finish() is Error(internal).
  void finish(std::vector<uint8_t>& out);
  // Bytes of plaintext seen and their SHA-256 (valid after finish()).
  uint64_t plain_size() const { return plain_size_; }
  std::array<uint8_t, 32> sha256() const { return sha256_; }
  // For the final part of a multi-part object, the trailer needs the whole
  // object's size and digest; set them before finish().
  void set_object_totals(uint64_t plain_size, const std::array<uint8_t, 32>& sha256);
  // For the final part when the whole object's digest is not known yet (parts
  // uploaded in any order): finish() seals the last segment but no trailer;
  // the caller appends cipher.seal_trailer({size, sha256}) to the body later.
  void defer_trailer() { defer_trailer_ = true; }

 private:
  void seal_one(std::span<const uint8_t> plain, bool last, std::vector<uint8_t>& out);

  const ObjectCipher& cipher_;
  uint64_t first_segment_;
  uint64_t next_segment_;
  bool final_part_;
  bool defer_trailer_ = false;
  bool finished_ = false;
  std::vector<uint8_t> pending_;  // plaintext of the segment being filled
  uint64_t plain_size_ = 0;
  std::array<uint8_t, 32> sha256_{};
  Sha256 hash_;  // of the plaintext, fed as it streams through
  std::optional<std::pair<uint64_t, std::array<uint8_t, 32>>> totals_;
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
  // cover() are ignored. After a throw the decryptor is unusable.
  void update(std::span<const uint8_t> body, std::vector<uint8_t>& out);
  // Throws Error(integrity) when the covering segments were not all seen.
  void finish();
  // Exact: body_length ends where the last covering segment ends.
  const Layout::Cover& cover() const { return cover_; }
  // True once every covering segment has been authenticated.
  bool done() const { return segment_ > cover_.last_segment; }

 private:
  void open_one(std::span<const uint8_t> sealed, std::vector<uint8_t>& out);

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
