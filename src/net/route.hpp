#pragma once
// The route toward an address as `ip route get fibmatch ADDR` prints it (the
// FIB entry itself, which `ip route change` accepts back), and its initcwnd.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace haul::net {

struct RouteEntry {
  std::string spec;                  // the route as printed, first line, trimmed
  std::optional<uint32_t> initcwnd;  // nullopt: not set (kernel default, 10 segments)
  std::optional<uint32_t> initrwnd;
};

// Parses the first line of `ip route get fibmatch` output; nullopt when empty.
std::optional<RouteEntry> parse_route_line(std::string_view text);

// `ip route change SPEC initcwnd N` with any existing initcwnd replaced.
std::string route_change_command(const RouteEntry& route, uint32_t initcwnd);

struct RouteLookup {
  std::optional<RouteEntry> route;
  std::string error;  // why there is no route (ip's message, or why ip could not run)
};

// Runs `ip route get fibmatch ADDR` (no shell; ADDR must be a literal IPv4 or
// IPv6 address). Looks the route up only: sends nothing.
RouteLookup lookup_route(const std::string& address);

}  // namespace haul::net
