// Placeholder until the client module lands; replaced by its real command.
#include "apps/haul/commands.hpp"
#include "core/error.hpp"

namespace haul::app {
void add_client_commands(CLI::App& app) {
  auto* cmd = app.add_subcommand("client", "(not built yet)");
  cmd->callback([] { throw Error(ErrorKind::config, "client is not built yet"); });
}
}  // namespace haul::app
