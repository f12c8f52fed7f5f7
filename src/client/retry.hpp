#pragma once
// Retry policy (separate from the pool, which is mechanism): which failed
// steps may run again and after how long. Only idempotent steps are retried:
// GET, HEAD, PUT of an object or a part, DELETE; never creating an upload.

#include <cstdint>

namespace haul::client {

enum class Failure {
  none,
  connect,     // could not connect / resolve (gateway down or wrong URL)
  transport,   // connection broke mid-exchange (reset, closed, truncated)
  timeout,     // stalled
  http,        // an HTTP error status arrived
  local,       // our own side: disk full, read error, checksum: never retried
};

struct RetryPolicy {
  unsigned max_attempts = 3;
  uint32_t base_delay_ms = 100;
  uint32_t max_delay_ms = 2000;

  // True when attempt `attempt` (1-based, just failed) should be repeated.
  bool should_retry(Failure failure, int http_status, bool idempotent, unsigned attempt) const;
  // Delay before attempt `attempt + 1`: base * 4^(attempt-1), capped.
  uint32_t backoff_ms(unsigned attempt) const;
};

}  // namespace haul::client
