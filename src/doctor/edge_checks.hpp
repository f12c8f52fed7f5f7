#pragma once
// `haul doctor --edge URL` (or HAUL_EDGE): what a running `haul edge` says of
// its gateway connections, read from its /metrics (docs/edge.md), as
// findings. Sans-IO: the text comes in, findings go out.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doctor/finding.hpp"

namespace haul::doctor {

struct EdgeState {
  std::string url;
  std::optional<std::string> metrics;  // the /metrics text; empty when it could not be read
  std::string error;                   // why not
};

// Prometheus text -> {"name{labels}": value}; lines that do not parse are skipped.
std::map<std::string, double> parse_prometheus(std::string_view text);

// edge.reachable, edge.upstream, edge.failures.
std::vector<Finding> run_edge_checks(const EdgeState& edge);

}  // namespace haul::doctor
