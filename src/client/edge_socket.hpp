#pragma once
// The default socket of a `haul edge` on this host (docs/edge.md): put, get,
// ls and rm use a running edge without being told, so even a fresh process
// finds the long link warm.

#include <optional>
#include <string>
#include <vector>

namespace haul::client {

// Where an edge listens by default, in order: the user's own
// ($XDG_RUNTIME_DIR/haul/edge.sock, when the variable is set), then the
// packaged service's (/run/haul/edge.sock).
std::vector<std::string> edge_socket_candidates(const char* xdg_runtime_dir);

// The first candidate that accepts a connection. A socket file nobody
// accepts on (an edge that did not stop cleanly) or that this user may not
// use is passed over.
std::optional<std::string> running_edge_socket();

}  // namespace haul::client
