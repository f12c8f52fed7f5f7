#include "http_client/retry.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace haul::http_client {

bool should_retry(const RetryPolicy& policy, Failure failure, int http_status, bool idempotent,
                  unsigned attempt) noexcept {
  if (!idempotent || attempt >= policy.attempts) return false;
  switch (failure) {
    case Failure::connect:
    case Failure::transport:
    case Failure::timeout: return true;
    case Failure::http:
      return http_status == 429 || http_status == 502 || http_status == 503 || http_status == 504 ||
             (http_status == 500 && policy.retry_500);
    case Failure::none:
    case Failure::local:
    case Failure::tls: return false;
  }
  return false;
}

std::chrono::milliseconds backoff(const RetryPolicy& policy, unsigned attempt, double draw) noexcept {
  const int64_t cap = std::max<int64_t>(policy.cap.count(), 0);
  int64_t step = std::min<int64_t>(std::max<int64_t>(policy.base.count(), 0), cap);
  for (unsigned i = 1; i < attempt && step < cap; ++i) step = std::min(step * 2, cap);
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double share = jitter * std::clamp(draw, 0.0, 1.0);
  return std::chrono::milliseconds(step - std::llround(static_cast<double>(step) * share));
}

std::chrono::milliseconds backoff(const RetryPolicy& policy, unsigned attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return backoff(policy, attempt, std::uniform_real_distribution<double>(0.0, 1.0)(rng));
}

}  // namespace haul::http_client
