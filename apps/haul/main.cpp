// haul: one binary, subcommands (gateway, put/get/ls/rm/bench, netem, doctor,
// keygen, reseal, tls-init). Every subcommand prints one readable line and exits non-zero on
// failure; Error kinds map to that line.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>
#include <exception>

#include "apps/haul/commands.hpp"
#include "apps/haul/config_file.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "haul: move encrypted objects over long fat links at the speed the link allows.\n"
      "The gateway encrypts uploads as a stream and serves decrypted, range-readable\n"
      "downloads over tuned keep-alive connections; the client keeps a warm pool."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "haul 0.1.0");
  haul::app::add_gateway_command(app);
  haul::app::add_keygen_command(app);
  haul::app::add_reseal_command(app);
  haul::app::add_client_commands(app);
  haul::app::add_netem_command(app);
  haul::app::add_doctor_command(app);
  haul::app::add_tls_init_command(app);
  haul::app::add_edge_command(app);
  try {
    // CLI11 wants the arguments last to first.
    app.name(argv[0]);
    std::vector<std::string> args = haul::app::expand_config_file(std::vector<std::string>(argv, argv + argc));
    args.erase(args.begin());
    std::reverse(args.begin(), args.end());
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const haul::Error& e) {
    std::fprintf(stderr, "haul: %s\n", e.what());
    return e.kind() == haul::ErrorKind::config ? 2 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "haul: %s\n", e.what());
    return 1;
  }
  return 0;
}
