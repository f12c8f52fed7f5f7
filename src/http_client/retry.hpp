#pragma once
// Sans-IO: the one retry policy of haul's HTTP clients (the client's pool
// towards the gateway, the S3 store towards its backend): which failed
// attempts are repeated, and how long to pause before the next.
//
// Only idempotent requests are repeated, and only after failures that a
// second try can cure: no connection, a broken one, a stall, or a status
// that says "later" (429, 502, 503, 504; 500 where the peer documents it as
// transient). Pauses grow x2 from `base` up to `cap`; `jitter` draws each
// pause at random from its upper part, so the parallel requests that one
// server restart failed do not all come back at the same instant.

#include <chrono>

#include "http_client/failure.hpp"

namespace haul::http_client {

struct RetryPolicy {
  unsigned attempts = 3;                // first try included; 1 never repeats
  std::chrono::milliseconds base{100};  // pause before the second attempt (before jitter)
  std::chrono::milliseconds cap{2000};  // no pause longer than this
  // Share of each pause drawn at random: a pause is uniform in
  // [step x (1 - jitter), step]. 0: exact steps; 0.75: [step/4, step].
  double jitter = 0.75;
  // Repeat 500 too: S3 documents InternalError as transient. Not towards a
  // haul gateway, whose 500 may be an integrity failure (repeating will not fix it).
  bool retry_500 = false;
};

// True when attempt `attempt` (1-based, just failed with `failure`, and
// `http_status` when the failure is http) should be repeated.
bool should_retry(const RetryPolicy& policy, Failure failure, int http_status, bool idempotent,
                  unsigned attempt) noexcept;

// The pause before attempt `attempt + 1`: step = base x 2^(attempt-1) capped
// at cap, less jitter x step x draw. `draw` is the random source's value in
// [0, 1] (tests pass it; 0 gives the full step).
std::chrono::milliseconds backoff(const RetryPolicy& policy, unsigned attempt, double draw) noexcept;
// The same with a draw from a per-thread generator seeded from std::random_device.
std::chrono::milliseconds backoff(const RetryPolicy& policy, unsigned attempt);

}  // namespace haul::http_client
