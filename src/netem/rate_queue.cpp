#include "netem/rate_queue.hpp"

#include <algorithm>

namespace haul::netem {

RateQueue::RateQueue(uint64_t rate_bps, uint64_t queue_bytes) : rate_bps_(rate_bps), queue_bytes_(queue_bytes) {}

Duration RateQueue::serialization_time(uint64_t bytes, uint64_t rate_bps) {
  // bytes * 8e9 / rate, in 128-bit so a 64 KiB packet at 8 kbit/s cannot overflow.
  unsigned __int128 ns = (static_cast<unsigned __int128>(bytes) * 8u * 1000000000u + rate_bps / 2) / rate_bps;
  return Duration(static_cast<int64_t>(ns));
}

void RateQueue::advance(Time now) {
  while (!queue_.empty() && queue_.front().due <= now) {
    queued_bytes_ -= queue_.front().bytes.size();
    departed_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

bool RateQueue::push(Bytes packet, Time now) {
  if (rate_bps_ == 0) {
    departed_.push_back(TimedPacket{std::move(packet), now});
    return true;
  }
  advance(now);
  if (queued_bytes_ + packet.size() > queue_bytes_) {
    ++dropped_;
    return false;
  }
  Time start = link_free_at_ ? std::max(now, *link_free_at_) : now;
  Time departs = start + serialization_time(packet.size(), rate_bps_);
  link_free_at_ = departs;
  queued_bytes_ += packet.size();
  queue_.push_back(TimedPacket{std::move(packet), departs});
  return true;
}

void RateQueue::pop_ready(Time now, std::deque<TimedPacket>& out) {
  advance(now);
  while (!departed_.empty()) {
    out.push_back(std::move(departed_.front()));
    departed_.pop_front();
  }
}

std::optional<Time> RateQueue::next_due() const {
  if (!departed_.empty()) return departed_.front().due;
  if (queue_.empty()) return std::nullopt;
  return queue_.front().due;
}

}  // namespace haul::netem
