#pragma once
// At most N requests in progress per bearer token (--max-requests-per-token):
// the clients of one token cannot hold more of the gateway (buffers, store
// readers, sockets) than that, whatever they do. Tokens are known by their
// index in the token file (TokenSet::match): nothing of a token is kept
// here. Thread-safe, lock-free.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace haul::gateway {

class TokenLimiter {
 public:
  // A request slot of one token, given back on destruction. Empty when
  // default-constructed or moved from (requests that need no token).
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : count_(other.count_) { other.count_ = nullptr; }
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

   private:
    friend class TokenLimiter;
    explicit Slot(std::atomic<uint32_t>* count) : count_(count) {}
    void release() noexcept;
    std::atomic<uint32_t>* count_ = nullptr;
  };

  // tokens: how many the token file holds; max_per_token >= 1.
  TokenLimiter(size_t tokens, uint32_t max_per_token);

  // A slot of token `index` (< tokens), or nothing when it already has
  // max_per_token requests in progress.
  std::optional<Slot> acquire(size_t index);
  uint32_t in_progress(size_t index) const;

 private:
  size_t tokens_;
  uint32_t max_;
  std::unique_ptr<std::atomic<uint32_t>[]> counts_;
};

}  // namespace haul::gateway
