#pragma once
// The bottleneck: a drop-tail queue bounded in bytes, drained at a fixed bit
// rate. A packet offered at `now` starts serializing when the link is free
// (max(now, previous departure)) and departs size*8/rate later; it is
// released by pop_ready() at its departure time, exactly, whatever the poll
// frequency. A packet is counted in the queue (for the drop-tail bound) from
// arrival until its departure, including while it serializes. Packets leave
// in arrival order. Rate 0 means unlimited: every packet departs at arrival
// and nothing is ever dropped.

#include <cstdint>
#include <deque>
#include <optional>

#include "netem/packet.hpp"

namespace haul::netem {

class RateQueue {
 public:
  RateQueue(uint64_t rate_bps, uint64_t queue_bytes);

  // Offers a packet arriving at `now` (non-decreasing across calls).
  // Returns false, and counts a drop, when it does not fit in the queue.
  bool push(Bytes packet, Time now);

  // Moves every packet whose departure time is <= now to `out`, in order,
  // with `due` set to its departure time.
  void pop_ready(Time now, std::deque<TimedPacket>& out);

  // Departure time of the head packet, if any.
  std::optional<Time> next_due() const;

  // Bytes in the bottleneck (arrived, not departed) as of the last call.
  uint64_t queued_bytes() const { return queued_bytes_; }
  uint64_t dropped() const { return dropped_; }

  // Time to put `bytes` on the wire at `rate_bps` (> 0), rounded to the ns.
  static Duration serialization_time(uint64_t bytes, uint64_t rate_bps);

 private:
  uint64_t rate_bps_;
  uint64_t queue_bytes_;
  // Releases packets departed by `now` from queue_ to departed_.
  void advance(Time now);

  std::deque<TimedPacket> queue_;     // not yet departed; their bytes are queued_bytes_
  std::deque<TimedPacket> departed_;  // departed, waiting for pop_ready()
  uint64_t queued_bytes_ = 0;
  std::optional<Time> link_free_at_;  // departure of the last accepted packet
  uint64_t dropped_ = 0;
};

}  // namespace haul::netem
