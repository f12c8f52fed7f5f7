// Placeholder until the netem module lands; replaced by its real command.
#include "apps/haul/commands.hpp"
#include "core/error.hpp"

namespace haul::app {
void add_netem_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("netem", "(not built yet)");
  cmd->callback([] { throw Error(ErrorKind::config, "netem is not built yet"); });
}
}  // namespace haul::app
