#pragma once
// A duration flag in seconds written straight into its config field; the
// help shows the field's default (the config struct's, not a copy). Shared
// by the gateway's and the edge's commands.

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>

namespace haul::app {

inline void add_seconds(CLI::App* cmd, const std::string& name, std::chrono::seconds& field, const std::string& help) {
  cmd->add_option_function<int64_t>(
         name, [&field](int64_t s) { field = std::chrono::seconds(s); }, help)
      ->default_str(std::to_string(field.count()));
}

}  // namespace haul::app
