// haul reseal: upgrade format-1 stored objects to format 3 (bound to their
// key and store) and, with --rotate, re-seal them under the newest master key
// (docs/format.md section 11). Talks to the store directly, not to a gateway.
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/haul/commands.hpp"
#include "core/error.hpp"
#include "gateway/config.hpp"
#include "gateway/reseal.hpp"
#include "store/store_factory.hpp"

namespace haul::app {

namespace {

std::string read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::config, "cannot read key file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void print_result(const std::string& key, const gateway::ResealResult& r, bool dry_run, uint32_t newest) {
  using gateway::ResealOutcome;
  switch (r.outcome) {
    case ResealOutcome::current: return;
    case ResealOutcome::resealed:
      std::cout << (dry_run ? "would reseal " : "resealed ") << key << " (format " << r.from_format << ", key "
                << r.from_key_id << " -> format 3, key " << newest << ")\n";
      return;
    case ResealOutcome::changed: std::cout << "changed " << key << ": " << r.detail << "; left as it is\n"; return;
    case ResealOutcome::failed: std::cout << "failed " << key << ": " << r.detail << "; left as it is\n"; return;
  }
}

}  // namespace

void add_reseal_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "reseal",
      "Re-seal format-1 objects in format 3, which binds each object to its key and store, and with\n"
      "--rotate under the newest master key. Streams every object through decryption and encryption\n"
      "(bounded memory) and commits it atomically; format-2/3 objects under the newest key are left alone.\n"
      "Give --store exactly as the gateway does (same NAME, same --store-id): the id is bound into\n"
      "every object. Example: haul reseal --store fs:/var/lib/haul --master-key-file keys --dry-run");
  auto store_flag = std::make_shared<std::string>();
  auto store_id = std::make_shared<std::string>();
  auto key_file = std::make_shared<std::string>();
  auto options = std::make_shared<gateway::ResealOptions>();
  cmd->add_option("--store", *store_flag, "[NAME=]URL of one store, as given to the gateway")->required();
  cmd->add_option("--store-id", *store_id, "The store's id, if the gateway has --store-id NAME=ID for it");
  cmd->add_option("--from-store-id", options->from_store_id,
                  "The id the objects are sealed for now, when the store was renamed: format-2/3 objects\n"
                  "are re-sealed from it to the store's (new) id");
  cmd->add_option("--master-key-file", *key_file,
                  "Key file (ID:HEX lines): every key that sealed an object; the newest id seals")
      ->required();
  cmd->add_option("--prefix", options->prefix, "Only keys that start with this");
  cmd->add_flag("--rotate", options->rotate, "Also re-seal format-2 objects sealed under an older master key");
  cmd->add_flag("--dry-run", options->dry_run, "Say what would be re-sealed; change nothing");
  cmd->callback([=] {
    std::vector<gateway::NamedStore> stores{gateway::parse_store_flag(*store_flag)};
    if (!store_id->empty()) gateway::apply_store_id_flag(stores, stores.front().name + "=" + *store_id);
    gateway::validate_store_id(stores.front().id);
    options->store_id = stores.front().id;
    if (!options->from_store_id.empty()) gateway::validate_store_id(options->from_store_id);
    auto keys = crypto::Keyring::parse(read_key_file(*key_file));
    auto store = store::make_store(stores.front().url);
    std::cout << "store " << store->describe() << ", id '" << options->store_id << "'"
              << (options->from_store_id.empty() ? "" : " (from '" + options->from_store_id + "')") << ", newest key "
              << keys.newest().id << (options->dry_run ? " (dry run)" : "") << "\n";
    auto totals = gateway::reseal_store(*store, keys, *options, [&](const std::string& key, const auto& r) {
      print_result(key, r, options->dry_run, keys.newest().id);
    });
    std::cout << (options->dry_run ? "would reseal " : "resealed ") << totals.resealed << ", current " << totals.current
              << ", changed meanwhile " << totals.changed << ", failed " << totals.failed << "\n";
    if (totals.failed > 0)
      throw Error(ErrorKind::integrity, std::to_string(totals.failed) + " objects could not be re-sealed (above)");
  });
}

}  // namespace haul::app
