#pragma once
// The gateway process: loads keys, tokens and stores, listens with the
// seeds' socket tuning, serves until SIGINT/SIGTERM, then drains gracefully
// (idle connections close at once, busy ones finish, hard stop after
// drain_timeout).

#include <memory>

#include "gateway/config.hpp"

namespace haul::gateway {

class Forwarder;

// Blocks until shutdown. Throws Error(config) on a bad key file, token file
// or store URL, Error(io) when the address cannot be bound.
void run_gateway(const GatewayConfig& config);

// The same server as `haul edge`: no stores or keys; config.token_file lists
// the local clients' tokens and every request but /healthz and /metrics goes
// to `forwarder`.
void run_server(const GatewayConfig& config, std::shared_ptr<Forwarder> forwarder);

}  // namespace haul::gateway
