// The session over TLS: session_impl.hpp with TlsRecordStream (records in
// large pieces, tls_record_stream.hpp) over beast::tcp_stream, so every
// socket tuning of the plain session applies to the TCP layer underneath
// (NODELAY, the send buffer, congestion per body, cork, SO_LINGER cuts,
// deadlines) and response bodies go through the TLS stream.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/error.hpp>
#include <cstring>

#include "gateway/session_impl.hpp"
#include "gateway/tls_record_stream.hpp"
#include "gateway/tls_server.hpp"
#include "tls/handshake_failure.hpp"

namespace haul::gateway {

namespace session_detail {

using TlsStream = TlsRecordStream<beast::tcp_stream>;

namespace {

tls::HandshakeFailure classify(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return tls::HandshakeFailure::timeout;
  if (ec.category() == asio::error::get_ssl_category()) {
    return tls::classify_ssl_reason(ERR_GET_REASON(static_cast<unsigned long>(ec.value())));
  }
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe) {
    return tls::HandshakeFailure::peer_closed;
  }
  return tls::HandshakeFailure::other;
}

// A plain HTTP request on the TLS port: say so in plain HTTP (as nginx
// does), so `curl http://` to an https port explains itself. The request's
// rest is drained a moment so a RST does not destroy the answer.
asio::awaitable<void> answer_plain_http(beast::tcp_stream& raw) {
  static const std::string body =
      error_json("bad_request", "this port speaks TLS: use https:// (the plain HTTP listener is --listen)");
  static const std::string answer =
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  beast::error_code ec;
  raw.expires_after(std::chrono::seconds(2));
  co_await asio::async_write(raw, asio::buffer(answer), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  raw.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> sink(4096);  // (on the heap: g++ 12 -O2 with ASan misjudges a large array in the frame)
  for (size_t drained = 0; !ec && drained < (1u << 20);) {
    drained += co_await raw.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
  }
}

// The handshake under the header timeout; counts it either way.
asio::awaitable<beast::error_code> handshake(TlsStream& stream, TlsMetrics& metrics,
                                             std::chrono::steady_clock::duration timeout) {
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    const auto failure = classify(ec);
    metrics.count_failure(failure);
    if (failure == tls::HandshakeFailure::plain_http) co_await answer_plain_http(beast::get_lowest_layer(stream));
    co_return ec;
  }
  SSL* ssl = stream.native_handle();
  metrics.count_handshake(SSL_session_reused(ssl) == 1, SSL_get_version(ssl),
                          SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
  co_return ec;
}

}  // namespace

template <>
struct Transport<TlsStream> {
  using Conn = Connection<TlsStream>;
  struct State {
    std::shared_ptr<asio::ssl::context> context;  // the one current at accept, whatever reloads come
    TlsMetrics* metrics = nullptr;
  };

  // The first byte is waited for with no buffer, as between requests (a
  // connection that never speaks costs no TLS state but its SSL); then the
  // handshake, bounded by the header timeout: a peer that sends garbage
  // fails at once, one that stalls midway is cut then.
  static asio::awaitable<std::optional<AppProtocol>> start(GatewayContext& ctx, SessionRegistry& registry,
                                                           uint64_t registration, std::shared_ptr<Conn> conn) {
    beast::error_code ec =
        co_await while_idle(registry, registration, *conn, wait_readable(conn, ctx.config.first_byte_timeout));
    if (ec) co_return std::nullopt;  // silent past the first-byte timeout, closed without a word, or shutdown
    ec = co_await handshake(conn->stream, *conn->state.metrics, ctx.config.header_timeout);
    if (ec) co_return std::nullopt;
    // ALPN decides the protocol (app_protocol.hpp): the one place HTTP/2 joins.
    const unsigned char* name = nullptr;
    unsigned length = 0;
    SSL_get0_alpn_selected(conn->stream.native_handle(), &name, &length);
    co_return app_protocol_for_alpn(std::string_view(reinterpret_cast<const char*>(name), length));
  }

  // Waits through the TLS stream, not on the socket: OpenSSL and the
  // stream's input queue may hold bytes of the next request already read
  // from the socket (a pipelined request, the rest of a record), which a
  // readiness wait on the socket would never see. One byte is read into the
  // coroutine frame: a read that small frees the stream's empty queues, and
  // OpenSSL releases its record buffers while idle (SSL_MODE_RELEASE_BUFFERS),
  // so an idle connection holds one 17 KiB input buffer while it waits. Any
  // byte, close_notify or EOF ends it.
  //
  // The deadline is the idle timer's, as in wait_readable (cancel the socket
  // if still idle), not the TCP stream's: that one still holds the deadline
  // of the last response write (body_timeout) and must not cut a keep-alive
  // connection that waits longer than a body may pause.
  static asio::awaitable<beast::error_code> wait_for_request(std::shared_ptr<Conn> conn,
                                                             std::chrono::steady_clock::duration timeout) {
    beast::error_code ec;
    conn->tcp().expires_never();
    conn->idle_timer.expires_after(timeout);
    conn->idle_timer.async_wait([weak = std::weak_ptr<Conn>(conn)](beast::error_code timer_ec) {
      auto c = weak.lock();
      if (!timer_ec && c && c->idle) c->tcp().socket().cancel();
    });
    uint8_t byte = 0;
    const size_t n =
        co_await conn->stream.async_read_some(asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, ec));
    conn->idle_timer.cancel();
    if (ec) co_return ec;
    if (n != 1) co_return asio::error::eof;
    std::memcpy(conn->buffer.prepare(1).data(), &byte, 1);
    conn->buffer.commit(1);
    co_return ec;
  }

  // Our close_notify before the FIN, without waiting for the peer's (HTTP
  // frames its messages; waiting would only hold the socket): with
  // "received" marked, SSL_shutdown sends and completes at once. Bounded.
  static asio::awaitable<void> finish(Conn& conn) {
    SSL_set_shutdown(conn.stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
    conn.tcp().expires_after(std::chrono::seconds(2));
    beast::error_code ec;
    co_await conn.stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  // A record that fails to decrypt, or a close without close_notify:
  // nothing more can be said over this stream.
  static bool broken(const beast::error_code& ec) {
    return ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated;
  }
};

}  // namespace session_detail

using namespace session_detail;

asio::awaitable<void> run_tls_session(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                      TlsServer& tls, tcp::socket socket) {
  beast::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) co_return;  // the peer left before we got to it
  tune_socket(socket);
  auto context = tls.current();
  TlsStream stream(beast::tcp_stream(std::move(socket)), *context);
  auto conn = std::make_shared<Connection<TlsStream>>(Transport<TlsStream>::State{context, &tls.metrics()},
                                                      std::move(stream), ctx.config.header_limit);
  Peer who = peer_of(peer);  // named: see run_local_session
  co_await run(ctx, pools, registry, std::move(conn), std::move(who));
}

asio::awaitable<void> refuse_tls_connection(TlsServer& tls, tcp::socket socket) {
  auto context = tls.current();
  TlsStream stream(beast::tcp_stream(std::move(socket)), *context);
  auto conn = std::make_shared<Connection<TlsStream>>(Transport<TlsStream>::State{context, &tls.metrics()},
                                                      std::move(stream), 0);
  if (co_await handshake(conn->stream, tls.metrics(), std::chrono::seconds(2))) {
    beast::error_code ec;
    conn->tcp().socket().close(ec);
    co_return;
  }
  const unsigned char* name = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(conn->stream.native_handle(), &name, &length);
  if (app_protocol_for_alpn(std::string_view(reinterpret_cast<const char*>(name), length)) == AppProtocol::http2) {
    H2StreamIo<TlsStream> io(conn, nullptr, 0);
    co_await refuse_http2(io);
    co_await Transport<TlsStream>::finish(*conn);
    beast::error_code ec;
    conn->tcp().socket().close(ec);
    co_return;
  }
  co_await refuse(*conn);
}

}  // namespace haul::gateway
