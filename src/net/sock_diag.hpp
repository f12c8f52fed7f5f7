#pragma once
// TCP sockets of this network namespace through NETLINK_SOCK_DIAG, the
// interface `ss` uses: cheap (the kernel filters by port), no /proc parsing,
// and no root needed for counts and TCP_INFO.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/inet_diag.hpp"

namespace haul::net {

struct SocketQuery {
  std::optional<uint16_t> port;  // nullopt: every TCP socket
  PortMatch match = PortMatch::local;
  bool want_info = false;  // per-socket TCP_INFO (like ss -ti)
  uint32_t states = kAllTcpStates;
};

// IPv4 and IPv6 sockets matching the query (one filtered dump per family on
// one netlink socket). Throws haul::Error(io) when netlink fails.
std::vector<SocketEntry> dump_tcp_sockets(const SocketQuery& query);

// Counts of TCP sockets whose local port is `local_port`, by lower_snake
// state name. Always holds established, syn_recv, close_wait, time_wait,
// fin_wait1, fin_wait2, last_ack, closing and listen (0 when none); other
// states appear only when present. For the gateway's /metrics
// (haul_sockets{state}). Throws haul::Error(io) when netlink fails.
std::map<std::string, uint64_t> count_tcp_states(uint16_t local_port);

}  // namespace haul::net
