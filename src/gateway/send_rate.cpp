#include "gateway/send_rate.hpp"

#include <algorithm>

namespace haul::gateway {

SendRateGuard::SendRateGuard(const SendRatePolicy& policy, uint64_t body_length)
    : quantum_(policy.min_bytes_per_second * static_cast<uint64_t>(policy.window.count())),
      window_(policy.window),
      left_(body_length) {
  due_ = std::min(quantum_, left_);
}

SendRateGuard::Clock::time_point SendRateGuard::write_started(Clock::time_point now) {
  since_ = now;
  if (quantum_ == 0) return Clock::time_point::max();
  return now + (window_ - std::min(used_, window_));
}

void SendRateGuard::written(Clock::time_point now, uint64_t bytes) {
  used_ += now - since_;
  since_ = now;
  taken_ += bytes;
  left_ -= std::min(bytes, left_);
  if (taken_ >= due_) {
    // Enough for this window: the next one starts now, with what is left.
    taken_ = 0;
    used_ = {};
    due_ = std::min(quantum_, left_);
  }
}

}  // namespace haul::gateway
