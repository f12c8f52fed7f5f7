#include "gateway/stripe_board.hpp"

#include "core/error.hpp"

namespace haul::gateway {

StripeBoard::Claim StripeBoard::claim(const StripedUploadId& id, const StripeLayout& layout,
                                      const std::string& sha256_hex, uint32_t stripe,
                                      std::chrono::steady_clock::time_point now) {
  if (stripe >= layout.count) {
    throw Error(ErrorKind::bad_request,
                "stripe " + std::to_string(stripe) + " of " + std::to_string(layout.count) + " (they count from 0)");
  }
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    if (bytes_held_ + layout.size > max_bytes_) {
      throw Error(ErrorKind::conflict, "striped uploads in progress already hold " + std::to_string(bytes_held_ >> 20) +
                                           " MiB: send the object in one PUT");
    }
    auto upload = std::make_shared<StripedUpload>();
    upload->id = id;
    upload->layout = layout;
    upload->sha256_hex = sha256_hex;
    upload->opened = now;
    upload->plain.resize(layout.size);
    bytes_held_ += layout.size;
    it = entries_.emplace(id, Entry{std::move(upload), std::vector<StripeState>(layout.count), 0}).first;
  }
  Entry& e = it->second;
  const StripedUpload& u = *e.upload;
  if (u.layout.size != layout.size || u.layout.count != layout.count || u.sha256_hex != sha256_hex) {
    throw Error(ErrorKind::conflict, "upload " + id.upload + " of '" + id.key + "' is open with size " +
                                         std::to_string(u.layout.size) + ", " + std::to_string(u.layout.count) +
                                         " stripes and another sha256: draw a new upload id");
  }
  if (e.stripes[stripe] != StripeState::absent) {
    throw Error(ErrorKind::conflict,
                "stripe " + std::to_string(stripe) + " of upload " + id.upload + " was " +
                    (e.stripes[stripe] == StripeState::stored ? "already stored" : "already sent"));
  }
  e.stripes[stripe] = StripeState::sending;
  return Claim{e.upload, stripe};
}

void StripeBoard::release(const Claim& claim) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(claim.upload->id);
  // Another upload under the same id (after expiry) is not this claim's.
  if (it == entries_.end() || it->second.upload != claim.upload) return;
  if (it->second.stripes[claim.stripe] == StripeState::sending) it->second.stripes[claim.stripe] = StripeState::absent;
}

uint32_t StripeBoard::stored(const Claim& claim) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(claim.upload->id);
  if (it == entries_.end() || it->second.upload != claim.upload) {
    throw Error(ErrorKind::conflict, "upload " + claim.upload->id.upload + " expired while its stripes arrived");
  }
  Entry& e = it->second;
  e.stripes[claim.stripe] = StripeState::stored;
  const uint32_t count = ++e.stored;
  if (count == e.upload->layout.count) erase(it);
  return count;
}

size_t StripeBoard::drop_expired(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (now - it->second.upload->opened > ttl_) {
      erase(it);
      ++dropped;
    }
    it = next;
  }
  return dropped;
}

void StripeBoard::erase(std::map<StripedUploadId, Entry>::iterator it) {
  bytes_held_ -= it->second.upload->layout.size;
  entries_.erase(it);
}

size_t StripeBoard::open_uploads() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

uint64_t StripeBoard::bytes_held() const {
  std::lock_guard lock(mutex_);
  return bytes_held_;
}

}  // namespace haul::gateway
