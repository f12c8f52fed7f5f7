#pragma once
// Striped uploads in progress in this gateway process (sans-IO: no store
// calls, no sockets). A stripe request names its upload by a client-drawn id
// and carries everything else (key, size, stripe count, whole SHA-256); the
// first stripe to arrive opens the upload here, the others join it, each
// copies its bytes into the upload's buffer, and the one that finds every
// stripe there seals the whole object as one ordinary object (fresh header,
// default segments, atomic commit). No create or complete round trip, which
// is the point (docs/api.md "Stripes").
//
// The plaintext waits in memory (bounded: max_bytes over all uploads) for the
// ~1 RTT the stripes take to arrive; nothing half-sent reaches a store. The
// board lives in one process: stripes spread over several gateway processes
// (or across a restart) never meet, every stripe answers 202, and the client
// falls back to a plain PUT. Uploads that never complete leave after `ttl`
// (checked on each stripe request and by the gateway's 10-minute cleanup).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/stripes.hpp"

namespace haul::gateway {

struct StripedUploadId {
  std::string store, key, upload;
  auto operator<=>(const StripedUploadId&) const = default;
};

// One upload on the board. A claimed stripe's range of `plain` belongs to
// the claiming request alone; the request that stores the last stripe owns
// the whole buffer (the board's mutex orders the writes before it).
struct StripedUpload {
  StripedUploadId id;
  StripeLayout layout;
  std::string sha256_hex;  // the whole object's, as the client sent it
  std::chrono::steady_clock::time_point opened;
  std::vector<uint8_t> plain;  // layout.size bytes
};

class StripeBoard {
 public:
  StripeBoard() = default;
  StripeBoard(uint64_t max_bytes, std::chrono::seconds ttl) : max_bytes_(max_bytes), ttl_(ttl) {}

  struct Claim {
    std::shared_ptr<StripedUpload> upload;
    uint32_t stripe = 0;
  };

  // Opens the upload or joins it, and claims the stripe for this request.
  // Throws Error(conflict) when the upload is open with another size, count
  // or digest, when the stripe was already sent, or when opening it would
  // hold more than max_bytes; Error(bad_request) for a stripe out of the layout.
  Claim claim(const StripedUploadId& id, const StripeLayout& layout, const std::string& sha256_hex, uint32_t stripe,
              std::chrono::steady_clock::time_point now);
  // The claimed stripe did not arrive whole: it may be sent again.
  void release(const Claim& claim);
  // The claimed stripe's bytes are in place. Returns how many stripes of the
  // upload are; when that is all of them the upload leaves the board and the
  // caller seals it (exactly one caller sees the count reach layout.count).
  // Throws Error(conflict) when the upload expired meanwhile.
  uint32_t stored(const Claim& claim);
  // Drops uploads opened more than ttl before now; returns how many.
  size_t drop_expired(std::chrono::steady_clock::time_point now);

  size_t open_uploads() const;
  uint64_t bytes_held() const;

 private:
  enum class StripeState : uint8_t { absent, sending, stored };
  struct Entry {
    std::shared_ptr<StripedUpload> upload;
    std::vector<StripeState> stripes;
    uint32_t stored = 0;
  };
  void erase(std::map<StripedUploadId, Entry>::iterator it);

  mutable std::mutex mutex_;
  std::map<StripedUploadId, Entry> entries_;
  uint64_t bytes_held_ = 0;
  // 256 MiB: 256 cold 1 MiB uploads arriving within the same round trip.
  uint64_t max_bytes_ = 256ull << 20;
  std::chrono::seconds ttl_ = std::chrono::minutes(10);
};

}  // namespace haul::gateway
