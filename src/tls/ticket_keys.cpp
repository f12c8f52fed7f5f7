#include "tls/ticket_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cassert>

#include "core/error.hpp"

namespace haul::tls {

namespace {

void fill_random(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw Error(ErrorKind::internal, "no random bytes for a session-ticket key");
  }
}

void wipe(TicketKey& key) {
  OPENSSL_cleanse(&key, sizeof key);
}

}  // namespace

TicketKeys::TicketKeys(TicketKeyPolicy policy, std::function<Clock::time_point()> clock)
    : policy_(policy), clock_(std::move(clock)) {
  assert(policy_.rotate_every.count() > 0);
  std::lock_guard lock(mutex_);
  current_since_ = clock_();
  add_key();
}

TicketKeys::~TicketKeys() {
  for (auto& key : keys_) wipe(key);
}

void TicketKeys::add_key() {
  TicketKey key;
  fill_random(key.name);
  fill_random(key.aes_key);
  fill_random(key.hmac_key);
  keys_.push_front(key);
  wipe(key);
  ++made_;
  while (keys_.size() > policy_.previous_kept + 1) {
    wipe(keys_.back());
    keys_.pop_back();
  }
}

void TicketKeys::rotate_if_due() {
  const auto now = clock_();
  if (now - current_since_ < policy_.rotate_every) return;
  const auto periods = static_cast<uint64_t>((now - current_since_) / policy_.rotate_every);
  // One new key per period that passed (at most as many as are kept: older
  // ones would fall out at once), so a key never outlives its schedule even
  // when no handshake came for hours.
  const uint64_t fresh = std::min<uint64_t>(periods, policy_.previous_kept + 1);
  for (uint64_t i = 0; i < fresh; ++i) add_key();
  current_since_ += policy_.rotate_every * static_cast<int64_t>(periods);
}

TicketKey TicketKeys::sealing_key() {
  std::lock_guard lock(mutex_);
  rotate_if_due();
  return keys_.front();
}

std::optional<TicketKeys::Found> TicketKeys::opening_key(std::span<const uint8_t> name) {
  std::lock_guard lock(mutex_);
  rotate_if_due();
  if (name.size() != TicketKey{}.name.size()) return std::nullopt;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (std::equal(name.begin(), name.end(), keys_[i].name.begin())) return Found{keys_[i], i == 0};
  }
  return std::nullopt;
}

uint64_t TicketKeys::keys_made() const {
  std::lock_guard lock(mutex_);
  return made_;
}

}  // namespace haul::tls
