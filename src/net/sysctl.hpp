#pragma once
// Reading kernel settings from /proc/sys (what `sysctl NAME` prints) and
// parsing their values. Reading never changes anything.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haul::net {

struct SysctlValue {
  std::optional<std::string> text;  // trimmed content; nullopt when unreadable
  int error = 0;                    // errno of the failed open/read (ENOENT: absent, EACCES: needs root)
};

// "net.ipv4.tcp_rmem" -> /proc/sys/net/ipv4/tcp_rmem. Names with '/' or ".."
// are refused (error EINVAL).
SysctlValue read_sysctl(std::string_view name);

// Whitespace-separated integers ("4096\t131072\t6291456"); nullopt on garbage.
std::optional<std::vector<int64_t>> parse_sysctl_ints(std::string_view text);

}  // namespace haul::net
