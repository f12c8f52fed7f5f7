#include "net/sock_diag.hpp"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "net/tcp_state.hpp"

namespace haul::net {

namespace {

// Owns one NETLINK_SOCK_DIAG socket.
class DiagSocket {
 public:
  DiagSocket() : fd_(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) {
    if (fd_ < 0) throw Error(ErrorKind::io, std::string("sock_diag socket: ") + std::strerror(errno));
  }
  ~DiagSocket() { ::close(fd_); }
  DiagSocket(const DiagSocket&) = delete;
  DiagSocket& operator=(const DiagSocket&) = delete;

  // Sends one dump request and appends every entry of the answer to `out`.
  void dump(const DiagRequest& request, std::vector<SocketEntry>& out) {
    std::vector<uint8_t> msg = build_diag_request(request);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
      throw Error(ErrorKind::io, std::string("sock_diag send: ") + std::strerror(errno));
    // 32 KiB datagrams: the kernel fills up to its page-sized skb per read.
    std::vector<uint8_t> buf(32768);
    for (;;) {
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw Error(ErrorKind::io, std::string("sock_diag recv: ") + std::strerror(errno));
      }
      if (n == 0) throw Error(ErrorKind::io, "sock_diag: empty answer");
      DiagBatch batch = parse_diag_datagram(buf.data(), static_cast<size_t>(n));
      for (auto& e : batch.entries) out.push_back(std::move(e));
      if (batch.done) return;
    }
  }

 private:
  int fd_;
};

}  // namespace

std::vector<SocketEntry> dump_tcp_sockets(const SocketQuery& query) {
  DiagSocket sock;
  std::vector<SocketEntry> out;
  uint32_t seq = 1;
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    DiagRequest req;
    req.family = family;
    req.states = query.states;
    req.port = query.port;
    req.match = query.match;
    req.want_info = query.want_info;
    req.seq = seq++;
    sock.dump(req, out);
  }
  return out;
}

std::map<std::string, uint64_t> count_tcp_states(uint16_t local_port) {
  std::map<std::string, uint64_t> counts;
  for (const char* name : {"established", "syn_recv", "close_wait", "time_wait", "fin_wait1", "fin_wait2", "last_ack",
                           "closing", "listen"})
    counts[name] = 0;
  SocketQuery query;
  query.port = local_port;
  for (const SocketEntry& e : dump_tcp_sockets(query)) {
    // Embryonic connections are dumped as TCP_NEW_SYN_RECV request sockets.
    uint8_t state = e.state == tcp_new_syn_recv ? uint8_t{tcp_syn_recv} : e.state;
    ++counts[std::string(tcp_state_name(state))];
  }
  return counts;
}

}  // namespace haul::net
