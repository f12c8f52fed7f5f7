#pragma once
// The gateway process: loads keys, tokens and stores, listens with the
// seeds' socket tuning, serves until SIGINT/SIGTERM, then drains gracefully
// (idle connections close at once, busy ones finish, hard stop after
// drain_timeout).

#include "gateway/config.hpp"

namespace haul::gateway {

// Blocks until shutdown. Throws Error(config) on a bad key file, token file
// or store URL, Error(io) when the address cannot be bound.
void run_gateway(const GatewayConfig& config);

}  // namespace haul::gateway
