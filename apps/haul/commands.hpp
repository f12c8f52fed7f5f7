#pragma once
// Each subcommand registers itself on the CLI11 app and runs when chosen.
// One file per subcommand (cmd_*.cpp) keeps main.cpp a thin dispatcher.

#include <CLI/CLI.hpp>

namespace haul::app {

void add_gateway_command(CLI::App& app);
void add_keygen_command(CLI::App& app);
void add_reseal_command(CLI::App& app);
void add_client_commands(CLI::App& app);  // put, get, ls, rm, bench
void add_netem_command(CLI::App& app);
void add_doctor_command(CLI::App& app);
void add_tls_init_command(CLI::App& app);
void add_edge_command(CLI::App& app);

}  // namespace haul::app
