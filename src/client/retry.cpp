#include "client/retry.hpp"

#include <algorithm>

namespace haul::client {

bool RetryPolicy::should_retry(Failure failure, int http_status, bool idempotent, unsigned attempt) const {
  if (!idempotent || attempt >= max_attempts) return false;
  switch (failure) {
    case Failure::connect:
    case Failure::transport:
    case Failure::timeout:
      return true;
    case Failure::http:
      // Gateway-side transient failures, and 429 (too many requests of
      // this token in progress: they end); other 4xx are the client's
      // fault and 500 may be an integrity failure, which repeating will not fix.
      return http_status == 429 || http_status == 502 || http_status == 503 || http_status == 504;
    case Failure::none:
    case Failure::local:
      return false;
  }
  return false;
}

uint32_t RetryPolicy::backoff_ms(unsigned attempt) const {
  uint64_t delay = base_delay_ms;
  for (unsigned i = 1; i < attempt && delay < max_delay_ms; ++i) delay *= 4;
  return static_cast<uint32_t>(std::min<uint64_t>(delay, max_delay_ms));
}

}  // namespace haul::client
