#pragma once
// A fixed one-way delay: a packet that entered at time t leaves at t + delay.
// Entry times must be non-decreasing, so the line is a FIFO and order is
// preserved. The line is bounded in bytes only as a guard against memory
// exhaustion (an unlimited-rate link holds rate x delay bytes in flight);
// a packet over the bound is dropped and counted.

#include <cstdint>
#include <deque>
#include <optional>

#include "netem/packet.hpp"

namespace haul::netem {

class DelayLine {
 public:
  explicit DelayLine(Duration delay, uint64_t max_bytes = uint64_t{1} << 30);

  // Takes the packet; it entered the line at `entered` (non-decreasing).
  // Returns false, and counts a drop, when the line holds max_bytes already.
  bool push(Bytes packet, Time entered);

  // Appends every packet due at or before `now` to `out`, in order, with `due`.
  void pop_ready(Time now, std::deque<TimedPacket>& out);

  std::optional<Time> next_due() const;
  uint64_t bytes_in_flight() const { return bytes_; }
  uint64_t dropped() const { return dropped_; }

 private:
  Duration delay_;
  uint64_t max_bytes_;
  std::deque<TimedPacket> line_;
  uint64_t bytes_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace haul::netem
