#pragma once
// The gateway's bearer tokens and their request counters, as one table that
// a reload (SIGHUP) replaces whole. A request takes the table current when
// it arrives (current()) and keeps using it: a token matched and counted in
// one table is never looked up in another, so a reload can reorder, add or
// remove tokens while requests run. Tokens present before and after keep
// their counters (TokenLimiter::carry_over): their requests in progress stay
// counted exactly. Thread-safe.

#include <cstdint>
#include <memory>
#include <mutex>

#include "gateway/token_limiter.hpp"
#include "gateway/tokens.hpp"

namespace haul::gateway {

class TokenBook {
 public:
  struct Table {
    TokenSet tokens;
    TokenLimiter limits;  // indexed as `tokens`
  };

  TokenBook(TokenSet tokens, uint32_t max_per_token);

  std::shared_ptr<const Table> current() const;
  // Makes `next` current.
  void replace(TokenSet next);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Table> table_;
};

}  // namespace haul::gateway
