// The session over plain TCP: session_impl.hpp with beast::tcp_stream.
#include <unistd.h>

#include "gateway/session_impl.hpp"

namespace haul::gateway {

namespace session_detail {

template <>
struct Transport<beast::tcp_stream> {
  using Conn = Connection<beast::tcp_stream>;
  struct State {};

  // The first bytes tell the protocol: HTTP/2 with prior knowledge (h2c)
  // starts with its 24-byte preface, anything else is HTTP/1.1. They are
  // waited for as between requests (first-byte timeout, idle for shutdown)
  // and stay in the buffer for whichever protocol serves them.
  static asio::awaitable<std::optional<AppProtocol>> start(GatewayContext& ctx, SessionRegistry& registry,
                                                           uint64_t registration, std::shared_ptr<Conn> conn) {
    beast::error_code ec =
        co_await while_idle(registry, registration, *conn, wait_for_request(conn, ctx.config.first_byte_timeout));
    if (ec) co_return std::nullopt;
    // A preface cut into pieces by the network: read on while what came so
    // far could still be one (bounded by the header timeout).
    conn->stream.expires_after(ctx.config.header_timeout);
    while (conn->buffer.size() < kH2Preface.size() && starts_preface(conn->buffer, conn->buffer.size())) {
      const size_t n = co_await conn->stream.async_read_some(conn->buffer.prepare(kH2Preface.size()),
                                                             asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return std::nullopt;
      conn->buffer.commit(n);
    }
    co_return starts_preface(conn->buffer, kH2Preface.size()) ? AppProtocol::http2 : AppProtocol::http1;
  }

  // The buffer's first `length` bytes (all it holds, at most) match the preface.
  static bool starts_preface(const beast::flat_buffer& buffer, size_t length) {
    if (buffer.size() < length) return false;
    const std::string_view have(static_cast<const char*>(buffer.data().data()), length);
    return kH2Preface.substr(0, length) == have;
  }

  // A readiness wait with no buffer (wait_readable), then what the socket
  // holds, up to kHeaderReadMax.
  static asio::awaitable<beast::error_code> wait_for_request(std::shared_ptr<Conn> conn,
                                                             std::chrono::steady_clock::duration timeout) {
    beast::error_code ec = co_await wait_readable(conn, timeout);
    if (ec) co_return ec;
    // What is queued sizes the read (0 before a Fast Open client's last ACK).
    const size_t available = conn->stream.socket().available(ec);
    if (ec) co_return ec;
    conn->stream.expires_after(std::chrono::seconds(1));  // the bytes are there: no wait
    const size_t want = std::min(std::max<size_t>(available, 1024), kHeaderReadMax);
    size_t n = co_await conn->stream.async_read_some(conn->buffer.prepare(want),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) conn->buffer.commit(n);
    co_return ec;
  }

  static asio::awaitable<void> finish(Conn&) { co_return; }
  static bool broken(const beast::error_code&) { return false; }
};

}  // namespace session_detail

using namespace session_detail;

asio::awaitable<void> run_session(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                  tcp::socket socket) {
  beast::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) co_return;  // the peer left before we got to it
  tune_socket(socket);
  auto conn = std::make_shared<Connection<beast::tcp_stream>>(
      Transport<beast::tcp_stream>::State{}, beast::tcp_stream(std::move(socket)), ctx.config.header_limit);
  Peer who = peer_of(peer);
  co_await run(ctx, pools, registry, std::move(conn), std::move(who));
}

namespace {

// A Unix socket connection runs the plain TCP session: its descriptor moves
// into a tcp::socket, whose reads, writes, readiness waits, shutdown and
// close are the same system calls on any stream socket, while the TCP-only
// options (NODELAY, CORK, TCP_CONGESTION) fail harmlessly (their errors are
// ignored everywhere). One session type instead of a third instantiation of
// session_impl.hpp, the most expensive code of the project to compile; no
// endpoint of the tcp::socket is ever asked for.
tcp::socket adopt(asio::local::stream_protocol::socket socket) {
  tcp::socket adopted(socket.get_executor());
  beast::error_code ec;
  const int fd = socket.release(ec);
  if (!ec) adopted.assign(tcp::v4(), fd, ec);
  if (ec && fd >= 0) ::close(fd);
  return adopted;
}

}  // namespace

asio::awaitable<void> run_local_session(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                        asio::local::stream_protocol::socket socket) {
  tcp::socket adopted = adopt(std::move(socket));
  if (!adopted.is_open()) co_return;
  net::enlarge_send_buffer(adopted.native_handle());
  auto conn = std::make_shared<Connection<beast::tcp_stream>>(
      Transport<beast::tcp_stream>::State{}, beast::tcp_stream(std::move(adopted)), ctx.config.header_limit);
  // A named Peer, not a temporary: g++ 12 destroys an aggregate temporary
  // in a co_await's full-expression twice (the edge crashed in free()).
  Peer peer{"unix", true, true};
  co_await run(ctx, pools, registry, std::move(conn), std::move(peer));
}

asio::awaitable<void> refuse_connection(tcp::socket socket) {
  auto conn = std::make_shared<Connection<beast::tcp_stream>>(Transport<beast::tcp_stream>::State{},
                                                              beast::tcp_stream(std::move(socket)), 0);
  co_await refuse(*conn);
}

asio::awaitable<void> refuse_local_connection(asio::local::stream_protocol::socket socket) {
  tcp::socket adopted = adopt(std::move(socket));
  if (adopted.is_open()) co_await refuse_connection(std::move(adopted));
}

}  // namespace haul::gateway
