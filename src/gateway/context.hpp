#pragma once
// What every request handler shares: configuration, keys, tokens, stores,
// metrics. Built once at start (gateway.cpp), read-only afterwards except
// for the metrics' atomics, the striped uploads in progress (which lock) and
// the per-token request counts (atomics).

#include <map>
#include <memory>
#include <string>

#include "crypto/keyring.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/stripe_board.hpp"
#include "gateway/token_limiter.hpp"
#include "gateway/tokens.hpp"
#include "store/store.hpp"

namespace haul::gateway {

struct GatewayContext {
  GatewayConfig config;
  crypto::Keyring keys;
  TokenSet tokens;
  std::map<std::string, std::unique_ptr<store::Store>> stores;
  std::string default_store;
  Metrics metrics;
  StripeBoard stripes;
  TokenLimiter token_limits;  // one counter per token in `tokens`
};

}  // namespace haul::gateway
