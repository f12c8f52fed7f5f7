#pragma once
// Named network namespaces (the `ip netns` kind, mounted at /run/netns/NAME)
// and a scope that moves the calling thread into one. setns() affects only
// the calling thread, so the scope is safe beside the forwarder threads.

#include <string>

namespace haul::netem {

// Creates the namespace with `ip netns add` and deletes it on destruction
// (best effort, never throws there).
class Netns {
 public:
  explicit Netns(std::string name);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

  // Writes a sysctl (dotted key, e.g. net.ipv4.tcp_congestion_control) as
  // seen inside this namespace. Throws Error(io).
  void set_sysctl(const std::string& key, const std::string& value) const;
  std::string get_sysctl(const std::string& key) const;

  // tx_dropped of device `dev` inside this namespace, or -1 if unreadable.
  long long tx_dropped(const std::string& dev) const;

 private:
  std::string name_;
};

// While alive, the calling thread is inside namespace `path`. Throws Error(io).
class NetnsScope {
 public:
  explicit NetnsScope(const std::string& path);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  int home_fd_ = -1;
};

// /proc/sys path for a dotted sysctl key.
std::string sysctl_path(const std::string& key);

}  // namespace haul::netem
