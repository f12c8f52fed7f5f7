#pragma once
// Every socket option of the client's connections, set in one place (the
// libcurl layer's SocketHooks): TCP_NODELAY, the send buffer, TCP_CONGESTION
// (pinned, or chosen per upload body with --congestion auto), and the
// TCP_INFO that stripes and the path memory need. docs/client.md says why
// each one.

#include <optional>
#include <vector>

#include "client/config.hpp"
#include "client/path_rtt.hpp"
#include "client/request.hpp"
#include "client/transfer.hpp"
#include "http_client/exchange.hpp"
#include "net/tcp_info.hpp"

namespace haul::client {

class SocketTuning final : public http_client::SocketHooks, public ConnectionGate {
 public:
  // path records the RTT each connection measures; both must outlive this.
  SocketTuning(const ClientConfig& config, PathRtt& path) : config_(config), path_(path) {}

  // A new connection's socket: TCP_NODELAY, congestion control, send buffer.
  void on_open(int fd) override;
  // Keeps the socket's TCP_INFO (for a request on a connection that closes
  // as it ends: bench --mode new), then forgets the socket.
  void on_close(int fd) override;

  // Just before r goes out over the connection whose local port is
  // local_port: false when r must not use it (r.min_rtt_us above the
  // connection's RTT; r.declined is then set); else, with --congestion auto,
  // sets the congestion control for r's body (net/send_congestion.hpp).
  bool before_request(Request& r, int local_port) override;

  // The tail of a parallel upload: every connection sending a body on bbr
  // restarts it, to take the bandwidth finished ones left
  // (net::restart_bbr_while_sending). Returns how many did.
  unsigned restart_bbr_senders();

  // TCP_INFO of the socket closed last.
  const std::optional<net::TcpInfo>& last_closed() const { return last_closed_; }
  bool any_open() const { return !sockets_.empty(); }
  // The highest descriptor of an open connection, -1 when none is open.
  int highest_open_fd() const;

 private:
  const ClientConfig& config_;
  PathRtt& path_;
  // Open connections and their local ports (0 until first looked up): the
  // pre-request callback names a request's connection only by that port.
  struct OpenSocket {
    int fd;
    int local_port;
  };
  std::vector<OpenSocket> sockets_;
  std::optional<net::TcpInfo> last_closed_;
};

// True when /proc/sys/net/ipv4/tcp_fastopen has the client bit (1) set.
bool kernel_allows_client_fastopen();

}  // namespace haul::client
