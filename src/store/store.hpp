#pragma once
// The store interface: where sealed objects live. A store keeps opaque bytes
// (the format header and the body) under a key; it knows nothing of
// encryption. Implementations: fs (local directory) and s3 (S3-compatible).
//
// Calls block (file or network I/O); the gateway runs them on its blocking
// pool, never on an I/O thread, and keeps each call short: a download pulls
// its body through a BodyReader a piece at a time. Expected failures throw haul::Error with a
// kind (not_found, backend_unavailable, io, ...).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace haul::store {

// What a reader learns before the first body byte.
struct ObjectHead {
  std::vector<uint8_t> header;  // the format header given to create()
  uint64_t body_size = 0;       // stored body bytes (segments + trailer)
  int64_t mtime_unix = 0;
};

// A body range to read: [offset, offset + length), or the last suffix_length
// bytes when suffix_length is set (lets a store answer HEAD-like reads of the
// trailer in one backend request).
struct BodyRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // to the end when empty
  std::optional<uint64_t> suffix_length;
};

// Receives body bytes in order. Returns false to stop reading early.
using BodySink = std::function<bool(std::span<const uint8_t>)>;

// One body range of one object, pulled by the caller a piece at a time.
// Between two reads nothing waits but a file descriptor or the backend's
// connection (an S3 transfer is not driven meanwhile), so a caller that
// serves a slow client holds no thread while that client reads.
//
// Destroying a reader before the end of its range may block briefly (the S3
// reader reads a short rest to keep its connection): do it off I/O threads.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // What the store knows of the object (read once, at open).
  virtual const ObjectHead& head() const = 0;
  // Fills out with the range's next bytes; fewer only at the end of the
  // range (0: the end). Blocks for one file read, or until the backend has
  // delivered out.size() bytes. Throws Error (io, backend_unavailable,
  // backend_timeout) when the bytes cannot be had; the reader is then done.
  virtual size_t read(std::span<uint8_t> out) = 0;
};

// Writes one object. Nothing is visible under the key until commit() returns;
// destroying an uncommitted writer discards everything written (no partial
// object, the previous version, if any, stays intact).
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual void write(std::span<const uint8_t> body_bytes) = 0;
  virtual void commit() = 0;
};

struct ListEntry {
  std::string key;
  uint64_t body_size = 0;
  int64_t mtime_unix = 0;
  // The format header, when the store has it without another request (fs
  // reads it with the file's prefix; an S3 listing carries no metadata, so
  // the S3 store leaves it empty). It makes the plaintext size exact for
  // every format (their trailers differ in size).
  std::vector<uint8_t> header;
};

struct ListPage {
  std::vector<ListEntry> entries;         // sorted by key
  std::optional<std::string> next_after;  // pass as start_after for the next page
};

// A multi-part upload in a store: parts are written at body offsets that the
// caller computes (segment-aligned), possibly by different gateway processes;
// complete() makes the object visible atomically. State lives in the store.
class Store {
 public:
  virtual ~Store() = default;

  // A short description for logs ("fs:/var/lib/haul").
  virtual std::string describe() const = 0;

  virtual std::unique_ptr<ObjectWriter> create(std::string_view key, std::span<const uint8_t> header) = 0;
  // Opens a range of the object's body for reading: one backend request,
  // answered up to its head. A range past the end of the body reads as
  // empty. Throws not_found.
  virtual std::unique_ptr<BodyReader> open(std::string_view key, const BodyRange& range) = 0;
  // open(), then on_head once and sink with the range's bytes until it
  // returns false or the range ends: for small reads (a trailer) and tests.
  void read(std::string_view key, const BodyRange& range, const std::function<void(const ObjectHead&)>& on_head,
            const BodySink& sink);
  virtual ObjectHead head(std::string_view key) = 0;
  virtual void remove(std::string_view key) = 0;  // not_found when absent
  virtual ListPage list(std::string_view prefix, std::string_view start_after, size_t limit) = 0;

  // Parts API. begin_upload returns an id that encodes what the store needs.
  virtual std::string begin_upload(std::string_view key, std::span<const uint8_t> header) = 0;
  // A writer for one part's body bytes; commit() makes the part durable (not
  // the object). part_number starts at 1; a part written again replaces the
  // old one. body_offset is where the part starts in the object's body.
  virtual std::unique_ptr<ObjectWriter> open_part(std::string_view upload_id, std::string_view key,
                                                  uint32_t part_number, uint64_t body_offset) = 0;
  // Makes the object visible atomically from parts 1..part_count, their
  // bodies concatenated in part-number order.
  virtual void complete_upload(std::string_view upload_id, std::string_view key, uint32_t part_count) = 0;
  virtual void abort_upload(std::string_view upload_id, std::string_view key) = 0;
  // Removes parts uploads begun (or last given a part, where the store can
  // tell) more than max_age ago, and what they left behind; returns how many.
  // The gateway calls it at start and periodically.
  virtual size_t cleanup_expired_uploads(std::chrono::seconds max_age) = 0;

  // Readiness (the gateway's /readyz): returns when the store can take
  // writes now, throws Error saying why not otherwise. Cheap: fs creates and
  // removes one empty file in its temp area, S3 sends one HEAD on the bucket
  // (no retries). Callers rate-limit it (gateway/readiness.hpp).
  virtual void probe() = 0;
};

// Validates an object key for every store: 1..1024 bytes of UTF-8 without
// NUL or control bytes, no leading '/', no "." or ".." segment, no empty
// segment. Throws Error(bad_request) with the reason.
void validate_key(std::string_view key);

}  // namespace haul::store
