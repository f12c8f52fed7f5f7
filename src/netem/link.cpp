#include "netem/link.hpp"

#include <algorithm>

namespace haul::netem {

Link::Link(const LinkConfig& config)
    : loss_(config.loss, config.seed),
      queue_(config.rate_bps, effective_queue_bytes(config)),
      line_(config.delay),
      delay_(config.delay) {}

void Link::drain_queue(Time now) {
  queue_.pop_ready(now, scratch_);
  for (auto& p : scratch_) {
    // Enters the delay line at its departure time, not at `now`: exact
    // whatever the caller's polling granularity.
    if (!line_.push(std::move(p.bytes), p.due)) ++stats_.queue_drops;
  }
  scratch_.clear();
}

void Link::push(Bytes packet, Time now) {
  ++stats_.offered;
  stats_.offered_bytes += packet.size();
  if (loss_.drop()) {
    ++stats_.lost;
    return;
  }
  drain_queue(now);
  if (!queue_.push(std::move(packet), now)) ++stats_.queue_drops;
}

void Link::pop_ready(Time now, std::deque<TimedPacket>& out) {
  drain_queue(now);
  size_t before = out.size();
  line_.pop_ready(now, out);
  for (size_t i = before; i < out.size(); ++i) {
    ++stats_.delivered;
    stats_.delivered_bytes += out[i].bytes.size();
  }
}

std::optional<Time> Link::next_due() const {
  // Everything in the delay line departed the bottleneck before the queue's
  // head will, so the line's head (if any) is the earliest.
  if (auto line = line_.next_due()) return line;
  if (auto queue = queue_.next_due()) return *queue + delay_;
  return std::nullopt;
}

}  // namespace haul::netem
