#pragma once
// Session-ticket keys held in memory and rotated (RFC 5077 / RFC 8446 4.6.1
// tickets sealed by the server itself: no session cache to share). A new
// ticket is sealed under the current key; tickets sealed under the previous
// `previous_kept` keys still open, and their session gets a fresh ticket
// under the current key. The keys never leave the process: a restart starts
// a new set (clients then do one full handshake).
//
// One TicketKeys is shared by every SSL_CTX the gateway builds, so a
// certificate reload (SIGHUP) keeps resumption working.
//
// Time is a parameter (the clock is injected), so rotation is tested without
// waiting. Thread-safe: one short lock per handshake.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>

namespace haul::tls {

struct TicketKey {
  std::array<uint8_t, 16> name{};      // sent in the clear in each ticket, picks the key
  std::array<uint8_t, 32> aes_key{};   // AES-256-CBC, OpenSSL's ticket encryption
  std::array<uint8_t, 32> hmac_key{};  // HMAC-SHA256 over the sealed ticket
};

struct TicketKeyPolicy {
  std::chrono::seconds rotate_every{3600};
  size_t previous_kept = 2;  // older keys that still open tickets
  // A ticket is promised this long (the lifetime hint and the session
  // timeout): a ticket sealed just before a rotation still opens for
  // rotate_every * previous_kept, so that much is always kept.
  std::chrono::seconds ticket_lifetime() const { return rotate_every * static_cast<int64_t>(previous_kept); }
};

class TicketKeys {
 public:
  using Clock = std::chrono::steady_clock;
  // clock: now() for rotation; tests pass their own.
  explicit TicketKeys(TicketKeyPolicy policy = {}, std::function<Clock::time_point()> clock = Clock::now);
  ~TicketKeys();
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;

  // The key to seal a new ticket with; rotates first when the current key
  // is rotate_every old.
  TicketKey sealing_key();

  struct Found {
    TicketKey key;
    bool current = false;  // false: open it, then issue a ticket under the current key
  };
  // The key a ticket names, if it is still kept (rotating first, as above).
  std::optional<Found> opening_key(std::span<const uint8_t> name);

  // Keys made so far (1 after construction): one per rotation.
  uint64_t keys_made() const;
  const TicketKeyPolicy& policy() const { return policy_; }

 private:
  void rotate_if_due();  // with mutex_ held
  void add_key();        // with mutex_ held; throws when no random bytes are available

  TicketKeyPolicy policy_;
  std::function<Clock::time_point()> clock_;
  mutable std::mutex mutex_;
  std::deque<TicketKey> keys_;  // front: current
  Clock::time_point current_since_;
  uint64_t made_ = 0;
};

}  // namespace haul::tls
