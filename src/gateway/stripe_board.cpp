#include "gateway/stripe_board.hpp"

#include "core/error.hpp"

namespace haul::gateway {

const std::string& StripedUpload::store_upload(const std::function<std::string()>& begin) {
  std::lock_guard lock(begin_mutex_);
  if (store_upload_id_.empty()) store_upload_id_ = begin();
  return store_upload_id_;
}

std::string StripedUpload::begun_store_upload() {
  std::lock_guard lock(begin_mutex_);
  return store_upload_id_;
}

StripeBoard::Claim StripeBoard::claim(const StripedUploadId& id, const StripeLayout& layout,
                                      const std::string& sha256_hex, uint32_t stripe,
                                      std::chrono::steady_clock::time_point now,
                                      const std::function<std::vector<uint8_t>()>& new_header) {
  if (stripe >= layout.count) {
    throw Error(ErrorKind::bad_request,
                "stripe " + std::to_string(stripe) + " of " + std::to_string(layout.count) + " (they count from 0)");
  }
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    if (entries_.size() >= max_uploads_) {
      throw Error(ErrorKind::conflict, "too many striped uploads in progress (" + std::to_string(max_uploads_) +
                                           "): send the object in one PUT");
    }
    auto upload = std::make_shared<StripedUpload>();
    upload->id = id;
    upload->layout = layout;
    upload->sha256_hex = sha256_hex;
    upload->header = new_header();
    upload->opened = now;
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
    throw Error(ErrorKind::conflict, "stripe " + std::to_string(stripe) + " of upload " + id.upload + " was " +
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
    // Expired while this stripe was on its way: nobody will complete it.
    throw Error(ErrorKind::conflict, "upload " + claim.upload->id.upload + " expired while its stripes arrived");
  }
  Entry& e = it->second;
  e.stripes[claim.stripe] = StripeState::stored;
  const uint32_t count = ++e.stored;
  if (count == e.upload->layout.count) entries_.erase(it);
  return count;
}

std::vector<std::shared_ptr<StripedUpload>> StripeBoard::take_expired(std::chrono::steady_clock::time_point now) {
  std::vector<std::shared_ptr<StripedUpload>> gone;
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.upload->opened > ttl_) {
      gone.push_back(it->second.upload);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

size_t StripeBoard::open_uploads() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace haul::gateway
