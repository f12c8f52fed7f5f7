#include "gateway/token_limiter.hpp"

#include <cassert>

namespace haul::gateway {

TokenLimiter::Slot& TokenLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    count_ = std::move(other.count_);
    other.count_.reset();
  }
  return *this;
}

void TokenLimiter::Slot::release() noexcept {
  if (count_) count_->fetch_sub(1, std::memory_order_relaxed);
  count_.reset();
}

TokenLimiter::TokenLimiter(size_t tokens, uint32_t max_per_token) : max_(max_per_token) {
  counts_.reserve(tokens);
  for (size_t i = 0; i < tokens; ++i) counts_.push_back(std::make_shared<std::atomic<uint32_t>>(0));
}

TokenLimiter TokenLimiter::carry_over(std::span<const std::optional<size_t>> kept) const {
  std::vector<std::shared_ptr<std::atomic<uint32_t>>> counts;
  counts.reserve(kept.size());
  for (const auto& old : kept) {
    assert(!old || *old < counts_.size());
    counts.push_back(old ? counts_[*old] : std::make_shared<std::atomic<uint32_t>>(0));
  }
  return TokenLimiter(max_, std::move(counts));
}

std::optional<TokenLimiter::Slot> TokenLimiter::acquire(size_t index) const {
  assert(index < counts_.size());
  auto& count = *counts_[index];
  uint32_t now = count.load(std::memory_order_relaxed);
  do {
    if (now >= max_) return std::nullopt;
  } while (!count.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  return Slot(counts_[index]);
}

uint32_t TokenLimiter::in_progress(size_t index) const {
  assert(index < counts_.size());
  return counts_[index]->load(std::memory_order_relaxed);
}

}  // namespace haul::gateway
