#include "gateway/token_limiter.hpp"

#include <cassert>

namespace haul::gateway {

TokenLimiter::Slot& TokenLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    count_ = other.count_;
    other.count_ = nullptr;
  }
  return *this;
}

void TokenLimiter::Slot::release() noexcept {
  if (count_) count_->fetch_sub(1, std::memory_order_relaxed);
  count_ = nullptr;
}

TokenLimiter::TokenLimiter(size_t tokens, uint32_t max_per_token)
    : tokens_(tokens), max_(max_per_token), counts_(new std::atomic<uint32_t>[tokens]) {
  for (size_t i = 0; i < tokens; ++i) counts_[i] = 0;
}

std::optional<TokenLimiter::Slot> TokenLimiter::acquire(size_t index) {
  assert(index < tokens_);
  auto& count = counts_[index];
  uint32_t now = count.load(std::memory_order_relaxed);
  do {
    if (now >= max_) return std::nullopt;
  } while (!count.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  return Slot(&count);
}

uint32_t TokenLimiter::in_progress(size_t index) const {
  assert(index < tokens_);
  return counts_[index].load(std::memory_order_relaxed);
}

}  // namespace haul::gateway
