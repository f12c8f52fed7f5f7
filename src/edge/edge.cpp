#include "edge/edge.hpp"

#include <memory>

#include "edge/edge_forwarder.hpp"
#include "gateway/gateway.hpp"

namespace haul::edge {

void run_edge(const EdgeConfig& config) {
  validate(config);
  gateway::run_server(config.local, std::make_shared<EdgeForwarder>(config));
}

}  // namespace haul::edge
