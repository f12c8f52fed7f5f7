#include "net/route.hpp"

#include "net/run_command.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <sstream>
#include <vector>

namespace haul::net {

RouteLookup lookup_route(const std::string& address) {
  RouteLookup out;
  unsigned char bin[sizeof(in6_addr)];
  bool v4 = ::inet_pton(AF_INET, address.c_str(), bin) == 1;
  bool v6 = !v4 && ::inet_pton(AF_INET6, address.c_str(), bin) == 1;
  if (!v4 && !v6) {
    out.error = "not an IP address: " + address;
    return out;
  }
  auto [rc, text] = run_command({"ip", v6 ? "-6" : "-4", "route", "get", "fibmatch", address});
  if (rc != 0) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    out.error = rc == 127 ? "the ip command (iproute2) is not installed" : text;
    return out;
  }
  out.route = parse_route_line(text);
  if (!out.route) out.error = "ip route printed nothing";
  return out;
}

}  // namespace haul::net
