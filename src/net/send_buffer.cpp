#include "net/send_buffer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "net/sysctl.hpp"

namespace haul::net {

namespace {

uint64_t sysctl_int(const char* name, size_t index) {
  auto value = read_sysctl(name);
  if (!value.text) return 0;
  auto ints = parse_sysctl_ints(*value.text);
  if (!ints || ints->size() <= index || (*ints)[index] < 0) return 0;
  return static_cast<uint64_t>((*ints)[index]);
}

uint64_t current_send_buffer(int fd) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, &len) != 0 || value < 0) return 0;
  return static_cast<uint64_t>(value);
}

}  // namespace

uint64_t enlarge_send_buffer(int fd) {
  // Read once per process: sysctls rarely change, sockets come by thousands.
  static const SendBufferLimits host{sysctl_int("net.ipv4.tcp_wmem", 2), sysctl_int("net.core.wmem_max", 0), true};
  SendBufferLimits limits = host;
  uint64_t request = send_buffer_request(long_link_send_buffer, limits);
  if (request == 0) return 0;
  int value = static_cast<int>(std::min<uint64_t>(request, INT32_MAX / 2));
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &value, sizeof value) != 0) {
    limits.may_force = false;  // no CAP_NET_ADMIN
    request = send_buffer_request(long_link_send_buffer, limits);
    if (request == 0) return 0;
    value = static_cast<int>(std::min<uint64_t>(request, INT32_MAX / 2));
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, sizeof value) != 0) return 0;
  }
  uint32_t lowat = long_link_notsent_lowat;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
  return current_send_buffer(fd);
}

}  // namespace haul::net
