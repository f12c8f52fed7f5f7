#pragma once
// At most N requests in progress per bearer token (--max-requests-per-token):
// the clients of one token cannot hold more of the gateway (buffers, store
// readers, sockets) than that, whatever they do. Tokens are known by their
// index in the token file (TokenSet::match): nothing of a token is kept
// here. Thread-safe, lock-free.
//
// Counters are shared objects so that a reloaded token file (SIGHUP) keeps
// counting exactly: carry_over() gives a token present in both files the
// same counter, and a slot taken before the reload gives back to the
// counter it took from.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace haul::gateway {

class TokenLimiter {
 public:
  // A request slot of one token, given back on destruction. Empty when
  // default-constructed or moved from (requests that need no token). Keeps
  // its counter alive after the limiter is gone (a token removed by a
  // reload while its requests run).
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept = default;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

   private:
    friend class TokenLimiter;
    explicit Slot(std::shared_ptr<std::atomic<uint32_t>> count) : count_(std::move(count)) {}
    void release() noexcept;
    std::shared_ptr<std::atomic<uint32_t>> count_;
  };

  // tokens: how many the token file holds; max_per_token >= 1.
  TokenLimiter(size_t tokens, uint32_t max_per_token);

  // A limiter for another token list of kept.size() tokens: token i shares
  // the counter of this limiter's token *kept[i] (the same token in both
  // lists), or starts at 0 when kept[i] is empty.
  TokenLimiter carry_over(std::span<const std::optional<size_t>> kept) const;

  // A slot of token `index` (< tokens), or nothing when it already has
  // max_per_token requests in progress.
  std::optional<Slot> acquire(size_t index) const;
  uint32_t in_progress(size_t index) const;

 private:
  TokenLimiter(uint32_t max_per_token, std::vector<std::shared_ptr<std::atomic<uint32_t>>> counts)
      : max_(max_per_token), counts_(std::move(counts)) {}
  uint32_t max_;
  std::vector<std::shared_ptr<std::atomic<uint32_t>>> counts_;
};

}  // namespace haul::gateway
