#pragma once
// The client's retry policy towards its gateway (separate from the pool,
// which is mechanism): http_client::RetryPolicy (the one policy of haul's
// HTTP clients, http_client/retry.hpp) with the client's settings. Only
// idempotent steps are retried: GET, HEAD, PUT of an object or a part,
// DELETE; never creating an upload or sending a stripe.

#include "client/config.hpp"
#include "http_client/failure.hpp"
#include "http_client/retry.hpp"

namespace haul::client {

using http_client::Failure;
using http_client::RetryPolicy;

// config.retries attempts, pauses from config.retry_base doubling up to
// config.retry_cap with jitter; 429/502/503/504 repeated, not 500 (the
// gateway's integrity failure).
RetryPolicy retry_policy(const ClientConfig& config);

}  // namespace haul::client
