#include "gateway/unix_listener.hpp"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "net/unix_socket.hpp"

namespace haul::gateway {

using local = boost::asio::local::stream_protocol;

namespace {

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

local::acceptor open_unix_listener(boost::asio::io_context& ioc, const std::string& path, int backlog) {
  const std::string flag = "--listen unix:" + path;
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path))
    throw Error(ErrorKind::config, flag + ": a socket path must be 1 to 107 bytes long");
  std::error_code fs_ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, fs_ec))) {
    if (!is_socket(path)) throw Error(ErrorKind::config, flag + ": the path exists and is not a socket");
    if (net::unix_socket_accepts(path)) throw Error(ErrorKind::config, flag + ": another process listens on it");
    ::unlink(path.c_str());  // stale: left by a process that did not stop cleanly
  }
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, fs_ec)) {
    std::filesystem::create_directories(parent, fs_ec);
    if (fs_ec) throw Error(ErrorKind::io, flag + ": cannot create " + parent.string() + ": " + fs_ec.message());
    ::chmod(parent.c_str(), 0755);
  }
  local::acceptor acceptor(ioc);
  boost::system::error_code ec;
  acceptor.open(local(), ec);
  if (!ec) acceptor.bind(local::endpoint(path), ec);
  if (ec) throw Error(ErrorKind::io, flag + ": cannot listen: " + ec.message());
  // The file's permissions are the local clients' authentication: the
  // owner and its group, whatever the umask made of it.
  if (::chmod(path.c_str(), 0660) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(path.c_str());
    throw Error(ErrorKind::io, flag + ": cannot set its mode: " + reason);
  }
  acceptor.listen(backlog, ec);
  if (ec) throw Error(ErrorKind::io, flag + ": listen failed: " + ec.message());
  return acceptor;
}

void remove_unix_listener(const std::string& path) {
  if (is_socket(path)) ::unlink(path.c_str());
}

}  // namespace haul::gateway
