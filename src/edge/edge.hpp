#pragma once
// `haul edge`: the daemon next to unmodified clients (docs/edge.md). Serves
// them on loopback with the gateway's own server and relays every request
// to the gateway over warm connections.

#include "edge/edge_config.hpp"

namespace haul::edge {

// Blocks until SIGINT/SIGTERM (then drains like the gateway). Throws
// Error(config) on bad flags or files, Error(io) when the address cannot be
// bound. The gateway need not be up: the edge keeps trying to reach it.
void run_edge(const EdgeConfig& config);

}  // namespace haul::edge
