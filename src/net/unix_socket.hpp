#pragma once
// Unix stream sockets by path (I/O): whether a process accepts on one.

#include <string>

namespace haul::net {

// connect() to PATH succeeds: a process listens there and this user may
// use it. False for a missing path, a stale socket file nobody accepts on,
// no permission, or a path too long for sockaddr_un.
bool unix_socket_accepts(const std::string& path);

}  // namespace haul::net
