#pragma once
// Whether a host name or address is this machine: a connection to it never
// leaves the host, so its round trip is microseconds whatever else is known.

#include <string>

namespace haul::net {

// True when `host` (a name, an IPv4 address or an IPv6 address with or
// without brackets) resolves only to loopback addresses or addresses of this
// host's own interfaces. False when it resolves to any other address or not
// at all (an unknown path is not a short one).
bool is_local_host(const std::string& host);

}  // namespace haul::net
