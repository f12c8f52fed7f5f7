// Placeholder until the doctor module lands; replaced by its real command.
#include "apps/haul/commands.hpp"
#include "core/error.hpp"

namespace haul::app {
void add_doctor_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("doctor", "(not built yet)");
  cmd->callback([] { throw Error(ErrorKind::config, "doctor is not built yet"); });
}
}  // namespace haul::app
