#include "gateway/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "net/send_congestion.hpp"

namespace haul::gateway {

using tcp = boost::asio::ip::tcp;

namespace {

void set_int_option(int fd, int level, int name, int value) {
  // Best effort: a kernel without the option still serves correctly.
  ::setsockopt(fd, level, name, &value, sizeof value);
}

}  // namespace

std::vector<tcp::acceptor> open_listeners(boost::asio::io_context& ioc, const ListenOptions& options) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(options.host, ec);
  if (ec) throw Error(ErrorKind::config, options.flag + ": '" + options.host + "' is not an IP address");
  std::vector<tcp::acceptor> acceptors;
  uint16_t port = options.port;
  for (int i = 0; i < std::max(1, options.count); ++i) {
    tcp::endpoint endpoint(address, port);
    tcp::acceptor acceptor(ioc);
    acceptor.open(endpoint.protocol(), ec);
    if (ec) throw Error(ErrorKind::io, "cannot open a listening socket: " + ec.message());
    const int fd = acceptor.native_handle();
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    // Wake the acceptor when the request arrives, not at the bare ACK; the
    // value is how long the kernel holds a silent connection (seconds)
    // before handing it over anyway (the session's first-byte deadline then
    // runs once more).
    set_int_option(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, options.defer_accept_seconds);
    // Queue of pending Fast Open requests; the kernel's net.ipv4.tcp_fastopen
    // server bit (2) must be set for it to take effect (haul doctor checks).
    set_int_option(fd, IPPROTO_TCP, TCP_FASTOPEN, 4096);
    set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);  // inherited by accepted sockets
    // Accepted sockets inherit the listener's congestion control. Downloads
    // are sent by the gateway, so it decides their ramp-up. "auto" starts
    // them on cubic (unpaced: a warm 100 KiB answer in 1.06 RTT where bbr
    // took 1.6) and the session chooses per download body
    // (net/send_congestion.hpp); a name pins it for every connection.
    if (options.congestion == net::congestion_auto) {
      net::set_congestion(fd, "cubic");
    } else if (!options.congestion.empty() && !net::set_congestion(fd, options.congestion)) {
      throw Error(ErrorKind::config, "--congestion " + options.congestion + ": " + std::strerror(errno) +
                                         " (see net.ipv4.tcp_allowed_congestion_control)");
    }
    acceptor.bind(endpoint, ec);
    if (ec) {
      throw Error(ErrorKind::io, options.flag + ": cannot listen on " + options.host + ":" + std::to_string(port) +
                                     ": " + ec.message());
    }
    acceptor.listen(options.backlog, ec);
    if (ec) throw Error(ErrorKind::io, "listen failed: " + ec.message());
    port = acceptor.local_endpoint().port();
    acceptors.push_back(std::move(acceptor));
  }
  return acceptors;
}

}  // namespace haul::gateway
