#pragma once
// One direction of the emulated link, in the order a real path applies them:
// random loss on entry, the bottleneck queue drained at the rate, then the
// propagation delay. A packet offered at t with an idle link arrives at
// t + size*8/rate + delay. Sans-IO: the caller reads packets from somewhere,
// push()es them with the time they arrived, and writes out what pop_ready()
// returns once next_due() has come.

#include <cstdint>
#include <deque>
#include <optional>

#include "netem/delay_line.hpp"
#include "netem/link_config.hpp"
#include "netem/loss.hpp"
#include "netem/rate_queue.hpp"

namespace haul::netem {

struct LinkStats {
  uint64_t offered = 0;  // packets pushed
  uint64_t offered_bytes = 0;
  uint64_t lost = 0;         // random loss
  uint64_t queue_drops = 0;  // drop-tail overflow (and the delay line's memory guard)
  uint64_t delivered = 0;    // handed out by pop_ready()
  uint64_t delivered_bytes = 0;
};

class Link {
 public:
  // `config` must have passed validate().
  explicit Link(const LinkConfig& config);

  // Offers a packet that arrived at `now` (non-decreasing across calls).
  void push(Bytes packet, Time now);

  // Appends every packet due at or before `now`, in arrival order, with its
  // due time (so the caller can measure how late it writes it).
  void pop_ready(Time now, std::deque<TimedPacket>& out);

  // Earliest instant a packet will be due, if any is inside the link.
  std::optional<Time> next_due() const;

  const LinkStats& stats() const { return stats_; }

 private:
  // Moves packets that left the bottleneck by `now` into the delay line.
  void drain_queue(Time now);

  BernoulliLoss loss_;
  RateQueue queue_;
  DelayLine line_;
  Duration delay_;
  std::deque<TimedPacket> scratch_;
  LinkStats stats_;
};

}  // namespace haul::netem
