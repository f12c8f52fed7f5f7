#include "client/edge_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace haul::client {

namespace {

bool accepts(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) return false;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::vector<std::string> edge_socket_candidates(const char* xdg_runtime_dir) {
  std::vector<std::string> paths;
  if (xdg_runtime_dir && *xdg_runtime_dir) paths.push_back(std::string(xdg_runtime_dir) + "/haul/edge.sock");
  paths.emplace_back("/run/haul/edge.sock");
  return paths;
}

std::optional<std::string> running_edge_socket() {
  for (const auto& path : edge_socket_candidates(std::getenv("XDG_RUNTIME_DIR"))) {
    if (accepts(path)) return path;
  }
  return std::nullopt;
}

}  // namespace haul::client
