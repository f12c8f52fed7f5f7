#include "apps/haul/config_file.hpp"

#include <CLI/CLI.hpp>
#include <set>

#include "core/error.hpp"

namespace haul::app {

namespace {

// The long flags a command line gives ("--store x", "--store=x").
std::set<std::string> given_flags(const std::vector<std::string>& args) {
  std::set<std::string> names;
  for (const auto& arg : args) {
    if (!arg.starts_with("--")) continue;
    names.insert(arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2));
  }
  return names;
}

}  // namespace

std::vector<std::string> expand_config_file(const std::vector<std::string>& args) {
  if (args.size() < 3) return args;
  const std::string& command = args[1];
  std::vector<std::string> rest;
  std::string path;
  bool found = false;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
      found = true;
    } else if (args[i].starts_with("--config=")) {
      path = args[i].substr(9);
      found = true;
    } else {
      rest.push_back(args[i]);
    }
  }
  if (!found) return args;
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    throw Error(ErrorKind::config, "--config " + path + ": " + e.what());
  }
  const auto given = given_flags(rest);
  std::vector<std::string> out{args[0], command};
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // CLI11's section markers
    if (!item.parents.empty() && item.parents != std::vector<std::string>{command}) {
      throw Error(ErrorKind::config, "--config " + path + ": section [" + item.parents.front() + "] is not for 'haul " +
                                         command + "' (use the top of the file or [" + command + "])");
    }
    if (given.contains(item.name)) continue;  // the command line wins
    for (const auto& value : item.inputs) out.push_back("--" + item.name + "=" + value);
  }
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace haul::app
