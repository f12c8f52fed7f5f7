#pragma once
// Configuration of one direction of the emulated link, as plain values.
// validate() is called once where the struct is built (the command line);
// the model components assume a validated config.

#include <cstdint>

#include "netem/packet.hpp"

namespace haul::netem {

struct LinkConfig {
  Duration delay{0};         // one-way propagation delay
  uint64_t rate_bps = 0;     // bottleneck rate in bits/s; 0 = unlimited (no queue)
  uint64_t queue_bytes = 0;  // drop-tail bound of the bottleneck queue; 0 = default_queue_bytes()
  double loss = 0;           // probability in [0, 1) that a packet is dropped on entry
  uint64_t seed = 1;         // seed of the loss generator (runs are reproducible)
};

// Smallest queue the default ever gives: 100 full-size packets, so a link
// with no delay still absorbs a burst.
inline constexpr uint64_t min_default_queue_bytes = 100 * 1500;

// One bandwidth-delay product (rate x round trip = 2 x one-way delay), at
// least min_default_queue_bytes. 0 when the rate is unlimited.
uint64_t default_queue_bytes(uint64_t rate_bps, Duration one_way_delay);

// Queue bound actually in force for `config` (explicit or default).
uint64_t effective_queue_bytes(const LinkConfig& config);

// Throws haul::Error(config) naming the bad field.
void validate(const LinkConfig& config);

}  // namespace haul::netem
