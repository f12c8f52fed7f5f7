#include "net/tcp_info.hpp"
#include "net/tcp_info_kernel.hpp"

#include <netinet/in.h>
#include <linux/tcp.h>  // the kernel's tcp_info (glibc's lacks delivery_rate and friends)
#include <sys/socket.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace haul::net {

std::optional<TcpInfo> read_tcp_info(int fd) {
  struct tcp_info raw;
  std::memset(&raw, 0, sizeof raw);
  socklen_t len = sizeof raw;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &raw, &len) != 0) return std::nullopt;
  char cc[32] = {};
  socklen_t cc_len = sizeof cc - 1;
  std::string congestion;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &cc_len) == 0) congestion.assign(cc, strnlen(cc, cc_len));
  // One field mapping for both sources (getsockopt here, sock_diag there).
  return tcp_info_from_kernel(&raw, len, std::move(congestion));
}

}  // namespace haul::net
