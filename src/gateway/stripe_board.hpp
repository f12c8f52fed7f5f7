#pragma once
// Striped uploads in progress in this gateway process (sans-IO: no store
// calls, no sockets). A stripe request names its upload by a client-drawn id
// and carries everything else (key, size, stripe count, whole SHA-256); the
// first stripe to arrive opens the upload here with a fresh random header,
// the others join it, and the one that finds every stripe stored completes
// it. No create or complete round trip, which is the point (docs/api.md).
//
// The board lives in memory: stripes of one upload spread over several
// gateway processes (or across a restart) never meet, every stripe answers
// 202, and the client falls back to a plain PUT. Uploads that never complete
// leave the board after `ttl`; the caller aborts their store uploads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/stripes.hpp"

namespace haul::gateway {

struct StripedUploadId {
  std::string store, key, upload;
  auto operator<=>(const StripedUploadId&) const = default;
};

// One upload on the board. The header and layout never change once opened.
struct StripedUpload {
  StripedUploadId id;
  StripeLayout layout;
  std::string sha256_hex;       // the whole object's, as the client sent it
  std::vector<uint8_t> header;  // format header (segment size = stripe size)
  std::chrono::steady_clock::time_point opened;

  // The store's upload id, begun by the first stripe that needs it; the
  // others wait on the mutex (a mkdir, or one S3 request).
  const std::string& store_upload(const std::function<std::string()>& begin);
  // "" when no stripe got as far as beginning the store upload.
  std::string begun_store_upload();

 private:
  std::mutex begin_mutex_;
  std::string store_upload_id_;
};

class StripeBoard {
 public:
  StripeBoard() = default;
  StripeBoard(size_t max_uploads, std::chrono::seconds ttl) : max_uploads_(max_uploads), ttl_(ttl) {}

  struct Claim {
    std::shared_ptr<StripedUpload> upload;
    uint32_t stripe = 0;
  };

  // Opens the upload (header from new_header) or joins it, and claims the
  // stripe for this request. Throws Error(conflict) when the upload is open
  // with another size, count or digest, when the stripe was already sent,
  // or when max_uploads are open. Throws Error(bad_request) for a stripe
  // index out of the layout.
  Claim claim(const StripedUploadId& id, const StripeLayout& layout, const std::string& sha256_hex,
              uint32_t stripe, std::chrono::steady_clock::time_point now,
              const std::function<std::vector<uint8_t>()>& new_header);
  // The claimed stripe was not stored: it may be sent again.
  void release(const Claim& claim);
  // The claimed stripe is stored. Returns how many of the upload's stripes
  // are; when that is all of them the upload leaves the board and the caller
  // must complete it (exactly one caller sees the count reach layout.count).
  uint32_t stored(const Claim& claim);
  // Uploads opened more than ttl before now: they leave the board, and the
  // caller aborts their store uploads.
  std::vector<std::shared_ptr<StripedUpload>> take_expired(std::chrono::steady_clock::time_point now);

  size_t open_uploads() const;

 private:
  enum class StripeState : uint8_t { absent, sending, stored };
  struct Entry {
    std::shared_ptr<StripedUpload> upload;
    std::vector<StripeState> stripes;
    uint32_t stored = 0;
  };

  mutable std::mutex mutex_;
  std::map<StripedUploadId, Entry> entries_;
  size_t max_uploads_ = 1024;
  std::chrono::seconds ttl_ = std::chrono::minutes(10);
};

}  // namespace haul::gateway
