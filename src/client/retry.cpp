#include "client/retry.hpp"

namespace haul::client {

RetryPolicy retry_policy(const ClientConfig& config) {
  RetryPolicy p;
  p.attempts = config.retries;
  p.base = config.retry_base;
  p.cap = config.retry_cap;
  p.jitter = 0.75;
  p.retry_500 = false;
  return p;
}

}  // namespace haul::client
