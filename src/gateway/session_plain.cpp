// The session over plain TCP: session_impl.hpp with beast::tcp_stream.
#include "gateway/session_impl.hpp"

namespace haul::gateway {

namespace session_detail {

template <>
struct Transport<beast::tcp_stream> {
  using Conn = Connection<beast::tcp_stream>;
  struct State {};

  static asio::awaitable<std::optional<AppProtocol>> start(GatewayContext&, SessionRegistry&, uint64_t,
                                                           std::shared_ptr<Conn>) {
    co_return AppProtocol::http1;
  }

  // A readiness wait with no buffer (wait_readable), then what the socket
  // holds, up to kHeaderReadMax.
  static asio::awaitable<beast::error_code> wait_for_request(std::shared_ptr<Conn> conn,
                                                             std::chrono::steady_clock::duration timeout) {
    beast::error_code ec = co_await wait_readable(conn, timeout);
    if (ec) co_return ec;
    const size_t available = conn->stream.socket().available(ec);
    if (ec) co_return ec;
    if (available == 0) co_return asio::error::eof;       // the peer closed
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
  co_await run(ctx, pools, registry, std::move(conn), peer);
}

asio::awaitable<void> refuse_connection(tcp::socket socket) {
  auto conn = std::make_shared<Connection<beast::tcp_stream>>(Transport<beast::tcp_stream>::State{},
                                                              beast::tcp_stream(std::move(socket)), 0);
  co_await refuse(*conn);
}

}  // namespace haul::gateway
