#pragma once
// What every request handler shares: configuration, keys, tokens, stores,
// metrics, logs. Built once at start (gateway.cpp), read-only afterwards
// except for the metrics' atomics, the striped uploads in progress and the
// readiness cache (which lock), the per-token request counts (atomics), and
// the token table and the log's secrets, which a reload (SIGHUP) swaps
// whole (token_book.hpp).

#include <map>
#include <memory>
#include <string>

#include "crypto/keyring.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/readiness.hpp"
#include "gateway/request_log.hpp"
#include "gateway/stripe_board.hpp"
#include "gateway/token_book.hpp"
#include "store/store.hpp"

namespace haul::gateway {

class S3State;
class Forwarder;

struct GatewayContext {
  GatewayConfig config;
  crypto::Keyring keys;
  TokenBook tokens;  // the token file and each token's requests in progress
  std::map<std::string, std::unique_ptr<store::Store>> stores;
  std::string default_store;
  Metrics metrics;
  StripeBoard stripes;
  RequestLog request_log;
  Readiness readiness;
  std::shared_ptr<S3State> s3;  // the S3 API's keys and buckets; null when it is off
  // `haul edge`: relays requests to the real gateway (forwarder.hpp); null in
  // the gateway, which has stores and keys instead.
  std::shared_ptr<Forwarder> forwarder;
};

}  // namespace haul::gateway
