#include "client/edge_socket.hpp"

#include <cstdlib>

#include "net/unix_socket.hpp"

namespace haul::client {

std::vector<std::string> edge_socket_candidates(const char* xdg_runtime_dir) {
  std::vector<std::string> paths;
  if (xdg_runtime_dir && *xdg_runtime_dir) paths.push_back(std::string(xdg_runtime_dir) + "/haul/edge.sock");
  paths.emplace_back("/run/haul/edge.sock");
  return paths;
}

std::optional<std::string> running_edge_socket() {
  for (const auto& path : edge_socket_candidates(std::getenv("XDG_RUNTIME_DIR"))) {
    if (net::unix_socket_accepts(path)) return path;
  }
  return std::nullopt;
}

}  // namespace haul::client
