#pragma once
// What every request handler shares: configuration, keys, tokens, stores,
// metrics, logs. Built once at start (gateway.cpp), read-only afterwards
// except for the metrics' atomics, the striped uploads in progress and the
// readiness cache (which lock), and the per-token request counts (atomics).

#include <map>
#include <memory>
#include <string>

#include "crypto/keyring.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/readiness.hpp"
#include "gateway/request_log.hpp"
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
  RequestLog request_log;
  Readiness readiness;
  TokenLimiter token_limits;  // one counter per token in `tokens`
};

}  // namespace haul::gateway
