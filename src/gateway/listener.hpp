#pragma once
// Listening sockets tuned per the seeds: SO_REUSEPORT (one acceptor per I/O
// thread), TCP_DEFER_ACCEPT (wake up on the request, not the handshake's
// last ACK), TCP_FASTOPEN (a returning client's request rides in its SYN),
// a large backlog.

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

namespace haul::gateway {

struct ListenOptions {
  std::string host;
  uint16_t port = 0;  // 0: any free port (the others then bind to the same)
  int backlog = 4096;
  int count = 1;                  // acceptors sharing the port
  std::string congestion;         // TCP_CONGESTION for accepted sockets; empty: the host's default
  int defer_accept_seconds = 10;  // TCP_DEFER_ACCEPT: how long the kernel holds a silent connection
  std::string flag = "--listen";  // names the flag in errors
};

// Throws Error(io) naming the address when binding fails.
std::vector<boost::asio::ip::tcp::acceptor> open_listeners(boost::asio::io_context& ioc, const ListenOptions& options);

}  // namespace haul::gateway
