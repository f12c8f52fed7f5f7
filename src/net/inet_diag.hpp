#pragma once
// sock_diag / inet_diag wire format (NETLINK_SOCK_DIAG), sans-IO: builds the
// dump request for TCP sockets and parses the kernel's answer datagrams into
// SocketEntry values. The socket I/O lives in net/sock_diag.cpp, so this
// part is unit-tested with hand-built bytes and fed truncated input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/tcp_info.hpp"

namespace haul::net {

// One TCP socket as the kernel reports it (what `ss -tani` prints per line).
struct SocketEntry {
  uint8_t family = 0;      // AF_INET or AF_INET6
  uint8_t state = 0;       // TcpState (net/tcp_state.hpp)
  std::string local_addr;  // textual, no brackets ("127.0.0.1", "::1")
  uint16_t local_port = 0;
  std::string remote_addr;
  uint16_t remote_port = 0;
  uint64_t inode = 0;  // 0 for TIME_WAIT and SYN_RECV (no file)
  uint32_t uid = 0;
  uint8_t timer = 0;            // 0 none, 1 retransmit, 2 keepalive, 3 time_wait, 4 zero window probe
  uint32_t expires_ms = 0;      // time left on that timer
  uint32_t recv_q = 0;          // listen: accept queue length; else unread bytes
  uint32_t send_q = 0;          // listen: backlog; else unacknowledged bytes
  std::optional<TcpInfo> info;  // INET_DIAG_INFO, when asked for and present
};

enum class PortMatch {
  local,            // sockets whose local port is P (a server's side)
  local_or_remote,  // sockets on either end of a connection to/from P
};

// All TCP states (bit n = state n), as ss asks by default.
constexpr uint32_t kAllTcpStates = 0xfff;

struct DiagRequest {
  uint8_t family = 2;               // AF_INET (2) or AF_INET6 (10)
  uint32_t states = kAllTcpStates;  // bit mask of 1 << state
  std::optional<uint16_t> port;     // kernel-side filter (inet_diag bytecode)
  PortMatch match = PortMatch::local;
  bool want_info = false;  // ask for INET_DIAG_INFO + INET_DIAG_CONG
  uint32_t seq = 1;
};

// The bytes of one netlink message: SOCK_DIAG_BY_FAMILY dump of TCP sockets.
std::vector<uint8_t> build_diag_request(const DiagRequest& request);

struct DiagBatch {
  std::vector<SocketEntry> entries;
  bool done = false;  // NLMSG_DONE seen: the dump is complete
};

// Parses one datagram of a dump answer (several netlink messages).
// Throws haul::Error(bad_request) on malformed bytes, Error(io) carrying the
// errno text when the kernel answers NLMSG_ERROR.
DiagBatch parse_diag_datagram(const uint8_t* data, size_t len);

}  // namespace haul::net
