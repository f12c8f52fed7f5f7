#include "net/proc_fds.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>

namespace haul::net {

PidSockets socket_inodes_of_pid(int pid) {
  PidSockets out;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    out.error = errno;
    return out;
  }
  while (dirent* ent = ::readdir(d)) {
    if (ent->d_name[0] == '.') continue;
    std::string path = dir + "/" + ent->d_name;
    char link[128];
    ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    if (n <= 0) continue;
    if (auto inode = parse_socket_link(std::string_view(link, static_cast<size_t>(n)))) out.inodes.insert(*inode);
  }
  ::closedir(d);
  return out;
}

OwnerScan scan_socket_owners() {
  OwnerScan scan;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return scan;
  while (dirent* ent = ::readdir(proc)) {
    int pid = 0;
    std::string_view name = ent->d_name;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || ptr != name.data() + name.size()) continue;
    PidSockets socks = socket_inodes_of_pid(pid);
    if (socks.error == EACCES || socks.error == EPERM) {
      ++scan.unreadable;
      continue;
    }
    if (socks.inodes.empty()) continue;
    std::string comm;
    std::ifstream in("/proc/" + std::string(name) + "/comm");
    std::getline(in, comm);
    for (uint64_t inode : socks.inodes) scan.owners.emplace(inode, SocketOwner{pid, comm});
  }
  ::closedir(proc);
  return scan;
}

}  // namespace haul::net
