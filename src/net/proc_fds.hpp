#pragma once
// Which process holds which socket: /proc/PID/fd links read "socket:[INODE]",
// the inode sock_diag reports. Reading another user's /proc/PID/fd needs
// root (or CAP_SYS_PTRACE), so failures are values, not exceptions.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace haul::net {

// "socket:[12345]" -> 12345; nullopt for any other link text.
std::optional<uint64_t> parse_socket_link(std::string_view link);

struct PidSockets {
  std::set<uint64_t> inodes;
  int error = 0;  // errno of opening /proc/PID/fd (EACCES: needs root, ENOENT: no such process)
};

// Socket inodes held by process `pid`.
PidSockets socket_inodes_of_pid(int pid);

struct SocketOwner {
  int pid = 0;
  std::string comm;  // /proc/PID/comm
};

struct OwnerScan {
  std::map<uint64_t, SocketOwner> owners;  // inode -> first process found holding it
  int unreadable = 0;                      // processes whose fds we could not read
};

// Scans every /proc/PID/fd (like ss -p). Without root only our own processes
// are readable; `unreadable` counts the rest.
OwnerScan scan_socket_owners();

}  // namespace haul::net
