#pragma once
// Tests only: a time origin and tagged packets for the link model's tests.

#include <cstddef>
#include <cstdint>

#include "netem/packet.hpp"

namespace haul::netem::testing {

inline const Time t0{};

// size bytes, each the tag: a packet tells where it came from when it leaves.
inline Bytes packet(uint8_t tag, size_t size = 1500) {
  return Bytes(size, tag);
}

}  // namespace haul::netem::testing
