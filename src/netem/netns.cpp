#include "netem/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "netem/sys_util.hpp"

namespace haul::netem {

std::string sysctl_path(const std::string& key) {
  std::string rel = key;
  std::replace(rel.begin(), rel.end(), '.', '/');
  return "/proc/sys/" + rel;
}

Netns::Netns(std::string name) : name_(std::move(name)) {
  run_checked({"ip", "netns", "add", name_});
}

Netns::~Netns() {
  if (!run_quiet({"ip", "netns", "delete", name_}))
    std::fprintf(stderr, "netem: could not delete namespace %s\n", name_.c_str());
}

void Netns::set_sysctl(const std::string& key, const std::string& value) const {
  NetnsScope inside(path());
  write_small_file(sysctl_path(key), value);
}

std::string Netns::get_sysctl(const std::string& key) const {
  NetnsScope inside(path());
  std::string v = read_small_file(sysctl_path(key));
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

long long Netns::tx_dropped(const std::string& dev) const {
  try {
    NetnsScope inside(path());
    // /proc/thread-self/net is the calling thread's namespace view.
    std::istringstream in(read_small_file("/proc/thread-self/net/dev"));
    std::string line;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      name.erase(0, name.find_first_not_of(' '));
      if (name != dev) continue;
      std::istringstream fields(line.substr(colon + 1));
      long long v[12] = {};
      for (auto& x : v) fields >> x;
      return v[11];  // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs drop
    }
  } catch (const Error&) {
  }
  return -1;
}

NetnsScope::NetnsScope(const std::string& path) {
  home_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_fd_ < 0) throw Error(ErrorKind::io, errno_text("open own network namespace"));
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    std::string msg = errno_text("enter namespace " + path);
    if (fd >= 0) close(fd);
    close(home_fd_);
    throw Error(ErrorKind::io, msg);
  }
  close(fd);
}

NetnsScope::~NetnsScope() {
  if (setns(home_fd_, CLONE_NEWNET) != 0) std::perror("netem: return to own namespace");
  close(home_fd_);
}

}  // namespace haul::netem
