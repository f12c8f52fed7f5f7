#include "gateway/token_book.hpp"

#include <vector>

namespace haul::gateway {

TokenBook::TokenBook(TokenSet tokens, uint32_t max_per_token) {
  const size_t n = tokens.size();
  table_ = std::make_shared<const Table>(Table{std::move(tokens), TokenLimiter(n, max_per_token)});
}

std::shared_ptr<const TokenBook::Table> TokenBook::current() const {
  std::lock_guard lock(mutex_);
  return table_;
}

void TokenBook::replace(TokenSet next) {
  std::lock_guard lock(mutex_);
  // Where each new token was in the old file (a reload is rare and the
  // lists short: the quadratic search costs nothing).
  std::vector<std::optional<size_t>> kept;
  kept.reserve(next.size());
  for (const auto& token : next.tokens()) {
    std::optional<size_t> old;
    const auto& before = table_->tokens.tokens();
    for (size_t i = 0; i < before.size() && !old; ++i) {
      if (before[i] == token) old = i;
    }
    kept.push_back(old);
  }
  TokenLimiter limits = table_->limits.carry_over(kept);
  table_ = std::make_shared<const Table>(Table{std::move(next), std::move(limits)});
}

}  // namespace haul::gateway
