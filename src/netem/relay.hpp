#pragma once
// The emulated long link as a running thing: two network namespaces (client
// side, server side) with one TUN device each, and a Forwarder per direction
// between the two TUN fds. run_relay() builds it, runs the optional server
// command and client command inside, and tears everything down on every
// exit path (normal, error, SIGINT/SIGTERM/SIGHUP).

#include <string>
#include <utility>
#include <vector>

#include "netem/link_config.hpp"

namespace haul::netem {

struct RelayConfig {
  LinkConfig link;                                           // applied to each direction (seeds: seed, seed + 1)
  std::string server_cmd;                                    // sh -c, in the server namespace; empty = none
  std::vector<std::string> command;                          // in the client namespace; empty = stay up until signalled
  std::string congestion_control;                            // e.g. "cubic"; empty = the namespace default
  std::vector<std::pair<std::string, std::string>> sysctls;  // set in both namespaces
};

// Throws Error(config) when not root or /dev/net/tun is missing, Error(io)
// when setup fails (after undoing what was done). Returns the exit code of
// `command` (128 + signal when it was killed), or 0 after a signal when no
// command was given.
int run_relay(const RelayConfig& config);

// Deletes haul-c-PID / haul-s-PID namespaces whose PID no longer runs (left
// by a relay that was SIGKILLed). Returns how many it deleted.
int cleanup_stale_namespaces();

// Parses "key=value"; throws Error(config).
std::pair<std::string, std::string> parse_sysctl_assignment(const std::string& text);

}  // namespace haul::netem
