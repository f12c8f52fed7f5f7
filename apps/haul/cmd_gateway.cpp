// Placeholder until the gateway lands.
#include "apps/haul/commands.hpp"
#include "core/error.hpp"

namespace haul::app {
void add_gateway_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("gateway", "(not built yet)");
  cmd->callback([] { throw Error(ErrorKind::config, "gateway is not built yet"); });
}
}  // namespace haul::app
