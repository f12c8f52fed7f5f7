#include "client/socket_tuning.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <fstream>

#include "net/send_buffer.hpp"
#include "net/send_congestion.hpp"

namespace haul::client {

namespace {

// 0 while the socket is not bound yet.
int local_port_of(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

}  // namespace

bool kernel_allows_client_fastopen() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_fastopen");
  int value = 0;
  return (in >> value) && (value & 1) != 0;
}

void SocketTuning::on_open(int fd) {
  // TCP_NODELAY: a request's last partial segment and small answers must not
  // wait for an ACK (Nagle + the peer's delayed ACK cost up to 40 ms + 1 RTT).
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // TCP_CONGESTION: "auto" starts every socket on cubic and chooses per
  // upload body in before_request() (net/send_congestion.hpp says why);
  // starting on cubic matters: once bbr has run on a socket the kernel keeps
  // pacing it, and cubic then paces a small burst at 2 x window / RTT instead
  // of sending it at once. A pinned name is set here once. A name the host
  // does not allow (net.ipv4.tcp_allowed_congestion_control) keeps the default.
  if (config_.congestion == net::congestion_auto)
    net::set_congestion(fd, "cubic");
  else if (!config_.congestion.empty())
    net::set_congestion(fd, config_.congestion);
  net::enlarge_send_buffer(fd);  // uploads over long, lossy links (net/send_buffer.hpp)
  sockets_.push_back({fd, 0});
}

int SocketTuning::highest_open_fd() const {
  int highest = -1;
  for (const auto& s : sockets_) highest = std::max(highest, s.fd);
  return highest;
}

void SocketTuning::on_close(int fd) {
  std::erase_if(sockets_, [fd](const OpenSocket& s) { return s.fd == fd; });
  last_closed_ = net::read_tcp_info(fd);
}

unsigned SocketTuning::restart_bbr_senders() {
  unsigned restarted = 0;
  for (const auto& s : sockets_) restarted += net::restart_bbr_while_sending(s.fd) ? 1 : 0;
  return restarted;
}

bool SocketTuning::before_request(Request& r, int local_port) {
  if (config_.congestion != net::congestion_auto && r.min_rtt_us == 0) return true;
  // libcurl 7.88 has no socket for a request before it completes, so find
  // it by its local port, read once per connection (it is bound by now).
  for (auto& s : sockets_) {
    if (s.local_port == 0) s.local_port = local_port_of(s.fd);
    if (s.local_port != local_port) continue;
    if (r.min_rtt_us > 0 && !admit(r, net::read_tcp_info(s.fd), path_)) return false;
    if (config_.congestion == net::congestion_auto) {
      uint64_t body = r.method == "PUT" ? r.source_length : r.post_body.size();
      net::set_send_congestion(s.fd, body);
    }
    return true;
  }
  return true;
}

}  // namespace haul::client
