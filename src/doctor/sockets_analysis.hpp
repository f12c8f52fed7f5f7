#pragma once
// `haul doctor sockets`, sans-IO: given the TCP sockets sock_diag reported
// (and which of them belong to the scope asked for), count them by state,
// attribute TIME_WAIT to the side that closed first, and flag CLOSE_WAIT
// (the application did not close after the peer's FIN) and TIME_WAIT piles.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "doctor/finding.hpp"
#include "net/inet_diag.hpp"
#include "net/proc_fds.hpp"

namespace haul::doctor {

struct SocketScope {
  std::optional<uint16_t> port;  // --port: sockets with this local or remote port
  std::optional<int> pid;        // --pid: sockets held by this process (inodes below)
  std::set<uint64_t> inodes;     // the pid's socket inodes
};

struct SocketThresholds {
  uint64_t time_wait_pile = 100;  // per side: this many TIME_WAIT sockets is a pile
};

// A CLOSE_WAIT socket's identity across --watch samples.
std::string socket_key(const net::SocketEntry& e);

struct SocketsReport {
  std::map<std::string, uint64_t> counts;  // lower_snake state -> sockets in scope
  std::vector<net::SocketEntry> sockets;   // in scope
  uint64_t time_wait_server = 0;           // TIME_WAIT on a listening port's side: the server closed first
  uint64_t time_wait_client = 0;           // TIME_WAIT on the connecting side: the client closed first
  std::set<std::string> close_wait_keys;   // for persistence across samples
  std::vector<Finding> findings;
};

// `all` is every socket sock_diag returned (the listening sockets among
// them tell server side from client side). `previous_close_wait`: keys of the
// last sample's CLOSE_WAIT sockets (empty on the first); a CLOSE_WAIT socket
// seen in both is persistent, a leak. `owners` names holders when known.
SocketsReport analyze_sockets(const std::vector<net::SocketEntry>& all, const SocketScope& scope,
                              const SocketThresholds& thresholds, const std::set<std::string>& previous_close_wait,
                              const std::map<uint64_t, net::SocketOwner>& owners);

nlohmann::json sockets_report_json(const SocketsReport& report, const SocketScope& scope,
                                   const std::map<uint64_t, net::SocketOwner>& owners);

// One line per socket in the spirit of `ss -tni`.
std::string socket_line(const net::SocketEntry& e, const std::map<uint64_t, net::SocketOwner>& owners);

}  // namespace haul::doctor
