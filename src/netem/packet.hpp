#pragma once
// Vocabulary of the link model: packets are byte vectors, time is a
// steady_clock time point passed in by the caller (the model never reads a
// clock, so tests drive it with an injected one).

#include <chrono>
#include <cstdint>
#include <vector>

namespace haul::netem {

using Clock = std::chrono::steady_clock;
using Time = Clock::time_point;
using Duration = std::chrono::nanoseconds;
using Bytes = std::vector<uint8_t>;

// A packet together with the instant it may leave the stage that holds it.
struct TimedPacket {
  Bytes bytes;
  Time due;
};

}  // namespace haul::netem
