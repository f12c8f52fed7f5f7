#pragma once
// The minimum send rate of a response body (sans-IO: time is a parameter).
//
// Rule: while a body write is pending, the client must take
// min(rate x window, bytes the response has left) within `window` of
// send time; then the next window starts. Send time runs only while a write
// is pending, so waiting for the store never counts against the client. A
// client that reads at `rate` or faster is never cut, one that stops reading
// is cut one window after its last progress, one that trickles below `rate`
// within a window or two.
//
// The connection asks for a deadline when a write starts and reports each
// piece the socket took; a write still pending at the deadline is cut.

#include <chrono>
#include <cstdint>

namespace haul::gateway {

struct SendRatePolicy {
  uint64_t min_bytes_per_second = 1024;  // 0: no minimum
  std::chrono::seconds window{30};
};

class SendRateGuard {
 public:
  using Clock = std::chrono::steady_clock;

  // body_length: the bytes the response announced.
  SendRateGuard(const SendRatePolicy& policy, uint64_t body_length);

  // A write starts at now: the time by which it must have taken enough
  // (Clock::time_point::max() with no minimum).
  Clock::time_point write_started(Clock::time_point now);
  // The socket took bytes of the pending write at now (the write goes on
  // while bytes of it are left).
  void written(Clock::time_point now, uint64_t bytes);

 private:
  uint64_t quantum_;  // rate x window
  Clock::duration window_;
  uint64_t left_;              // body bytes not yet taken
  uint64_t due_ = 0;           // bytes this window must see
  uint64_t taken_ = 0;         // bytes taken in this window
  Clock::duration used_{};     // send time spent in this window
  Clock::time_point since_{};  // start of the pending write's current stretch
};

}  // namespace haul::gateway
