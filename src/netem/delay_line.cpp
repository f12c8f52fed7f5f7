#include "netem/delay_line.hpp"

namespace haul::netem {

DelayLine::DelayLine(Duration delay, uint64_t max_bytes) : delay_(delay), max_bytes_(max_bytes) {}

bool DelayLine::push(Bytes packet, Time entered) {
  if (bytes_ + packet.size() > max_bytes_) {
    ++dropped_;
    return false;
  }
  bytes_ += packet.size();
  line_.push_back(TimedPacket{std::move(packet), entered + delay_});
  return true;
}

void DelayLine::pop_ready(Time now, std::deque<TimedPacket>& out) {
  while (!line_.empty() && line_.front().due <= now) {
    bytes_ -= line_.front().bytes.size();
    out.push_back(std::move(line_.front()));
    line_.pop_front();
  }
}

std::optional<Time> DelayLine::next_due() const {
  if (line_.empty()) return std::nullopt;
  return line_.front().due;
}

}  // namespace haul::netem
