// haul keygen: print a new master key file, or append a rotated key to one.
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/haul/commands.hpp"
#include "core/error.hpp"
#include "crypto/keyring.hpp"

namespace haul::app {

void add_keygen_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("keygen",
                         "Print a new master key file (ID:HEX lines), or append a rotated key to FILE with "
                         "--add. The newest key (highest id) seals new objects; all keys in the file open "
                         "existing ones, so keep old keys until no object uses them (haul reseal --rotate moves "
                         "objects to the newest key).");
  auto add_file = std::make_shared<std::string>();
  cmd->add_option("--add", *add_file, "Append a new key with the next id to this key file");
  cmd->callback([add_file] {
    if (add_file->empty()) {
      std::cout << "# haul master keys: ID:HEX, newest (highest id) seals new objects\n"
                << crypto::Keyring::generate_line(1);
      return;
    }
    std::ifstream in(*add_file);
    if (!in) throw Error(ErrorKind::config, "cannot read key file " + *add_file);
    std::stringstream text;
    text << in.rdbuf();
    auto ring = crypto::Keyring::parse(text.str());
    uint32_t next = ring.newest().id + 1;
    std::ofstream out(*add_file, std::ios::app);
    std::string line = crypto::Keyring::generate_line(next);
    std::string existing = text.str();
    if (!existing.empty() && existing.back() != '\n') out << '\n';
    out << line;
    out.flush();
    if (!out) throw Error(ErrorKind::io, "cannot write key file " + *add_file);
    std::cerr << "added key " << next << " to " << *add_file << "; restart gateways to seal with it\n";
  });
}

}  // namespace haul::app
