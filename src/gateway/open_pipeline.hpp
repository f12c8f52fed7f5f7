#pragma once
// Stored body in, plaintext of the requested range out: the download half of
// the gateway, without sockets. ObjectOpener is a pull-style state machine:
// open() answers how the response starts, each next() the following piece
// of plaintext. Both block on the store (the caller runs them on its
// blocking pool), each for one store read of at most 256 KiB and its
// decryption; between calls the opener holds memory and an open store
// reader, never a thread, however slowly the client takes the pieces.

#include <array>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_buffer.hpp"
#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"
#include "store/store.hpp"

namespace haul::crypto {
class ObjectCipher;
class RangeDecryptor;
}  // namespace haul::crypto

namespace haul::gateway {

class Metrics;

// The object a read is for: its identity (identity.key is also the store
// key; format-2 objects authenticate only under it) and the oldest format
// served (an older object fails with integrity).
struct ReadTarget {
  crypto::ObjectIdentity identity;
  unsigned min_format = 1;
};

struct ResponseStart {
  int status = 200;             // 200, 206 or 416
  uint64_t content_length = 0;  // plaintext bytes that follow
  uint64_t object_size = 0;     // plaintext size of the whole object
  std::optional<std::string> content_range;
  std::string etag;
  int64_t mtime_unix = 0;
  // Format 3's metadata (authenticated by the time open() returns: the
  // header is every segment's associated data).
  crypto::Metadata metadata;
  // The trailer's SHA-256 of the whole plaintext, when the answer is the
  // whole object and its stored body fits one store read (kWholeReadLimit):
  // the trailer then comes with that read, authenticated, at no extra cost,
  // and a client needs no HEAD to verify what it downloads. Empty otherwise
  // (or when the trailer carries none: an S3 multipart upload's).
  std::string sha256_hex;
};

// Stored bodies up to this size are read whole by open() when the answer
// is the whole object (ResponseStart::sha256_hex).
constexpr uint64_t kWholeReadLimit = 256 * 1024;

class ObjectOpener {
 public:
  // Keeps references to store, keys and metrics: they must outlive it.
  ObjectOpener(store::Store& store, const crypto::Keyring& keys, Metrics& metrics, ReadTarget target,
               std::string range_header);
  // Closes the store reader, which may block briefly (an S3 reader reads a
  // short rest to keep its connection): destroy it on the blocking pool.
  ~ObjectOpener();
  ObjectOpener(const ObjectOpener&) = delete;
  ObjectOpener& operator=(const ObjectOpener&) = delete;

  // Called once, first. Returns after the first covering segment
  // authenticated, so a tampered object fails with an error status whenever
  // the damage is in the first segment sent; for an answer without body
  // bytes (an empty object) after every covering segment authenticated. A
  // range outside the object comes back as status 416 (nothing follows).
  // Throws Error: not_found, bad_request (malformed Range), integrity
  // (authentication failed), store errors; no status line is out yet, so
  // the caller answers with an error status.
  const ResponseStart& open();
  // The next plaintext piece, in order, from about `size` stored bytes (one
  // read per 256 KiB; open()'s first piece is one read): a view
  // valid until the call after the next (so one piece can be sent while the
  // next is decrypted); empty at the end, which is reached only once every
  // covering segment authenticated. Throws Error (integrity, store errors):
  // the status line is out by then, so the caller must cut the connection.
  std::span<const uint8_t> next(size_t size = kWholeReadLimit);

 private:
  // Reads `size` stored bytes (more while they held no plaintext) and
  // decrypts them into plain_; a failure once plain_ holds bytes is kept in
  // failure_ for the next call.
  void produce(size_t size);
  // After the last piece: checks every covering segment authenticated.
  void end();
  // open() of a small whole object: authenticates the trailer read with the
  // body (trailer_) and takes its SHA-256.
  void take_trailer(const crypto::Header& header, const crypto::Layout& layout);
  // open() chose to read a small whole object to its end, trailer included.
  bool reads_trailer() const { return read_to_ != wanted_to_; }

  store::Store& store_;
  const crypto::Keyring& keys_;
  Metrics& metrics_;
  ReadTarget target_;
  std::string range_header_;
  ResponseStart response_;
  std::unique_ptr<store::BodyReader> reader_;
  std::unique_ptr<crypto::ObjectCipher> cipher_;
  std::unique_ptr<crypto::RangeDecryptor> decryptor_;
  uint64_t body_pos_ = 0;         // body offset of the reader's next byte
  uint64_t wanted_from_ = 0;      // first body byte the decryptor needs
  uint64_t wanted_to_ = 0;        // one past the last
  uint64_t read_to_ = 0;          // where reading stops: wanted_to_, or the body's end for a small whole object
  std::vector<uint8_t> trailer_;  // the stored bytes past the cover when read_to_ is the body's end
  bool opened_ = false;
  bool held_ = false;  // plain_ holds open()'s first piece, not yet handed out
  bool done_ = false;
  std::exception_ptr failure_;  // a read or decryption failed after plain_ got bytes: thrown next
  ByteBuffer plain_;            // the piece next() hands out (grows without zero-filling)
  ByteBuffer previous_;         // the one before, still valid (maybe being sent)
};

struct ObjectSummary {
  unsigned format = 0;  // the stored object's format version (1, 2 or 3)
  uint64_t size = 0;
  std::string sha256_hex;  // empty when the trailer carries no SHA-256 (format 3 may not)
  std::string etag;        // the native API's (salt-based), not S3's
  int64_t mtime_unix = 0;
  // Format 3 only: the trailer's MD5 (S3's ETag; of the parts' MD5s when
  // etag_parts > 0) and the header's authenticated metadata.
  std::optional<std::array<uint8_t, 16>> md5;
  uint32_t etag_parts = 0;
  crypto::Metadata metadata;
};

// HEAD: reads the header and the trailer (one suffix read) and authenticates
// the trailer (and with it the header's metadata). Throws not_found /
// integrity.
ObjectSummary summarize_object(store::Store& store, const crypto::Keyring& keys, const ReadTarget& target);

// ETag of a stored version: derived from its random salt, so it changes on
// every PUT and costs no extra read.
std::string etag_of(std::span<const uint8_t> header);

}  // namespace haul::gateway
