#pragma once
// Stored body in, plaintext of the requested range out: the download half of
// the gateway, without sockets. Runs on the blocking pool; `send` hands bytes
// to the connection and blocks until they are written.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"
#include "store/store.hpp"

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
  int status = 200;                        // 200, 206 or 416
  uint64_t content_length = 0;             // plaintext bytes that follow
  uint64_t object_size = 0;                // plaintext size of the whole object
  std::optional<std::string> content_range;
  std::string etag;
};

// Calls start() once, after the first covering segment authenticated (so a
// tampered object fails with an error status whenever the damage is in the
// first segment sent) or, for an empty answer, before returning. Then send()
// with the plaintext in order; send() returning false (client gone) stops
// the read. Throws Error: not_found, bad_request (malformed Range), integrity
// (authentication failed: before start() an error status is possible, after
// it the caller must cut the connection).
void open_object(store::Store& store, const crypto::Keyring& keys, Metrics& metrics, const ReadTarget& target,
                 std::string_view range_header, const std::function<void(const ResponseStart&)>& start,
                 const std::function<bool(std::span<const uint8_t>)>& send);

struct ObjectSummary {
  unsigned format = 0;  // the stored object's format version (1 or 2)
  uint64_t size = 0;
  std::string sha256_hex;
  std::string etag;
  int64_t mtime_unix = 0;
};

// HEAD: reads the header and the trailer (one suffix read) and authenticates
// the trailer. Throws not_found / integrity.
ObjectSummary summarize_object(store::Store& store, const crypto::Keyring& keys, const ReadTarget& target);

// ETag of a stored version: derived from its random salt, so it changes on
// every PUT and costs no extra read.
std::string etag_of(std::span<const uint8_t> header);

}  // namespace haul::gateway
