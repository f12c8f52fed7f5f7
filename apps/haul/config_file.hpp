#pragma once
// `haul gateway --config FILE` and `haul edge --config FILE` (what the
// systemd units run): a TOML/INI file whose keys are the flags' names.
// CLI11 2.1 (Debian 12) reads a config file for the top-level app only, not
// for a subcommand, so the file is turned into flags here, before parsing:
// they go right after the subcommand's name, and a flag also given on the
// command line wins (its file value is left out).

#include <string>
#include <vector>

namespace haul::app {

// args: argv as strings. Returns them with "--config FILE" (or
// "--config=FILE") after a subcommand replaced by the file's flags. Keys may
// stand at the top of the file or under [SUBCOMMAND]. Throws Error(config)
// naming the file when it cannot be read or parsed, or names another section.
std::vector<std::string> expand_config_file(const std::vector<std::string>& args);

}  // namespace haul::app
