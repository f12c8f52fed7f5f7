#pragma once
// One keep-alive connection over a stream type S: Beast reads the request
// header, the handlers answer, and the loop waits for the next request for
// up to idle_timeout. Request bodies and response bodies stream through
// fixed buffers. The same code serves plain TCP (beast::tcp_stream) and TLS
// (TlsRecordStream<beast::tcp_stream>), as Beast's server-flex example
// does: what differs per transport is in Transport<S>, specialized by
// session_plain.cpp and session_tls.cpp, the only files that include this
// one (it holds Beast; each transport compiles in its own unit).
//
// Transport<S> provides:
//   struct State                      per-connection transport state, built
//                                     before the stream (outlives it)
//   start(ctx, registry, reg, conn)   -> awaitable<optional<AppProtocol>>:
//                                     what runs before the first request
//                                     (TLS: the handshake); nothing: close
//   wait_for_request(conn, timeout)   -> awaitable<error_code>: waits, idle,
//                                     for the next request's first byte and
//                                     leaves at least one byte in conn->buffer
//   finish(conn)                      -> awaitable<void>: what precedes our
//                                     FIN on a clean close (TLS: close_notify)
//   broken(ec)                        a transport failure (TLS record error):
//                                     nothing more can be said on the stream

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <limits>
#include <optional>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "gateway/app_protocol.hpp"
#include "gateway/blocking.hpp"
#include "gateway/exchange.hpp"
#include "gateway/framing.hpp"
#include "gateway/route.hpp"
#include "gateway/send_rate.hpp"
#include "gateway/serve.hpp"
#include "gateway/session.hpp"
#include "gateway/session_h2.hpp"
#include "gateway/session_registry.hpp"
#include "net/send_buffer.hpp"
#include "net/send_congestion.hpp"

namespace haul::gateway::session_detail {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Request bodies are read through this much memory, allocated when a body
// is read and freed when its request ends: idle connections hold none.
inline constexpr size_t kBodyBufferBytes = 256 * 1024;
// Bytes read at once from a connection into its header buffer (more when
// Beast asks for more to finish a header).
inline constexpr size_t kHeaderReadMax = 64 * 1024;
// Bytes read at once from a connection while a body is read (Beast's own
// cap per read).
inline constexpr size_t kBodyReadBytes = 64 * 1024;

template <class S>
struct Transport;

// State shared with the shutdown callback, which may outlive the coroutine.
template <class S>
struct Connection {
  Connection(typename Transport<S>::State transport_state, S s, size_t header_limit)
      : state(std::move(transport_state)),
        stream(std::move(s)),
        buffer(header_limit + kHeaderReadMax),
        idle_timer(stream.get_executor()) {}
  typename Transport<S>::State state;  // declared first: outlives the stream
  S stream;
  // Unread request bytes; bounded, and emptied of its memory between requests.
  beast::flat_buffer buffer;
  asio::steady_timer idle_timer;  // the keep-alive and first-byte deadlines of a readiness wait
  bool idle = false;              // waiting for the next request (only touched on the strand)
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream); }
};

// Waits, holding no buffer, until the peer sends a byte or closes (then it
// returns without error), or the timeout passes (operation_aborted). A
// keep-alive connection waiting for its next request costs its socket, this
// state and the session's coroutine frame, nothing more. It looks at the
// socket only: bytes a TLS layer already holds are not seen (the TLS
// transport waits through its stream instead, session_tls.cpp).
//
// A readiness wait can end with nothing to read: Asio's edge-triggered epoll
// may deliver an old edge whose bytes an earlier read already took (seen
// under load: keep-alive connections closed between requests). So each
// wake-up peeks, and only a byte or an end of stream ends the wait; the end
// of stream returns asio::error::eof. (The peek, not FIONREAD, tells them
// apart: the kernel counts nothing queued on a TCP Fast Open connection
// whose client has not finished the handshake, although the request or
// ClientHello that rode in its SYN waits to be read; on a long path the
// client's last ACK comes half a round trip after those bytes.)
template <class S>
asio::awaitable<beast::error_code> wait_readable(std::shared_ptr<Connection<S>> conn,
                                                 std::chrono::steady_clock::duration timeout) {
  beast::error_code ec;
  conn->idle_timer.expires_after(timeout);
  conn->idle_timer.async_wait([weak = std::weak_ptr<Connection<S>>(conn)](beast::error_code timer_ec) {
    auto c = weak.lock();
    // Still idle: nothing arrived in time. (Both run on the strand, so a
    // request that arrived first has cleared `idle` already.)
    if (!timer_ec && c && c->idle) c->tcp().socket().cancel();
  });
  auto& socket = conn->tcp().socket();
  for (;;) {
    co_await socket.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    char byte;
    const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) break;  // a byte waits
    if (n == 0) {
      ec = asio::error::eof;
      break;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      ec = beast::error_code(errno, asio::error::get_system_category());
      break;
    }
  }
  conn->idle_timer.cancel();
  co_return ec;
}

// Runs `wait` (for a connection's first or next request) with the
// connection marked idle: shutdown and the connection limit may close it
// meanwhile, as they may not while it serves a request.
template <class S>
asio::awaitable<beast::error_code> while_idle(SessionRegistry& registry, uint64_t registration, Connection<S>& conn,
                                              asio::awaitable<beast::error_code> wait) {
  conn.idle = true;
  registry.set_idle(registration, true);
  const beast::error_code ec = co_await std::move(wait);
  conn.idle = false;
  registry.set_idle(registration, false);
  co_return ec;
}

inline void set_cork(beast::tcp_stream& stream, bool on) {
  int value = on ? 1 : 0;
  ::setsockopt(stream.socket().native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

// On while a response body is under way: a close then resets the connection
// (SO_LINGER 0), which frees what waits in the send buffer at once instead
// of leaving it to an orphaned socket, and tells the client plainly that
// the body is cut. Off again once the body is complete, so a normal close
// never loses bytes.
inline void set_reset_on_close(beast::tcp_stream& stream, bool on) {
  linger value{on ? 1 : 0, 0};
  ::setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_LINGER, &value, sizeof value);
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

template <class S>
class BeastExchange final : public Exchange {
 public:
  BeastExchange(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry, Connection<S>& conn,
                http::request_parser<http::buffer_body>& parser, Request request)
      : ctx_(ctx),
        pools_(pools),
        registry_(registry),
        conn_(conn),
        parser_(parser),
        request_(std::move(request)),
        head_request_(request_.method == "HEAD"),
        keep_alive_(parser.get().keep_alive()) {}

  const Request& request() const override { return request_; }

  // Before an answer too small to choose an algorithm for: after idle, keep
  // the window the connection earned for the next download
  // (net/send_congestion.hpp, keep_window_after_idle).
  void keep_window() {
    if (ctx_.config.congestion == net::congestion_auto)
      net::keep_window_after_idle(conn_.tcp().socket().native_handle());
  }

  // curl waits up to a second for this on every PUT: answer at once. Sent
  // once, before any body byte is read, and for an empty body too: RFC 9110
  // lets a server omit it then, but botocore (1.29) keeps the final status
  // it got instead and misreads the next response on the connection (a
  // 60 s read timeout on an S3 folder marker's PutObject and the PUT after).
  asio::awaitable<void> invite_body() override {
    if (invitation_closed_ || !iequals(request_.header("expect"), "100-continue")) co_return;
    invitation_closed_ = true;
    http::response<http::empty_body> cont{http::status::continue_, 11};
    keep_window();
    beast::error_code ec;
    co_await http::async_write(conn_.stream, cont, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) throw ConnectionLost();
  }

  asio::awaitable<std::span<const uint8_t>> read_body() override {
    invitation_closed_ = true;
    if (!body_buffer_ && !parser_.is_done()) {
      body_buffer_ = std::make_unique_for_overwrite<uint8_t[]>(kBodyBufferBytes);
      // Beast reads a body in pieces of the connection buffer's free
      // capacity (at least 512 bytes), and the header read leaves it small:
      // 1 KiB when a header came alone, 1 byte after a TLS readiness wait. A
      // 1 GiB upload on loopback then took 1 M recvmsg calls and 14 s (20 CPU
      // s) instead of 16 K and 3 s; over TLS every record was cut into 1 KiB
      // reads. The buffer is shrunk again between requests.
      conn_.buffer.reserve(std::min(conn_.buffer.max_size(), kBodyReadBytes));
    }
    while (!parser_.is_done()) {
      auto& body = parser_.get().body();
      body.data = body_buffer_.get();
      body.size = kBodyBufferBytes;
      conn_.tcp().expires_after(ctx_.config.body_timeout);
      beast::error_code ec;
      co_await http::async_read(conn_.stream, conn_.buffer, parser_, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        body_broken_ = true;
        throw Error(ErrorKind::bad_request, "request body incomplete: " + ec.message());
      }
      size_t n = kBodyBufferBytes - parser_.get().body().size;
      if (n > 0) {
        ctx_.metrics.bytes_received.fetch_add(n, std::memory_order_relaxed);
        bytes_in_ += n;
        co_return std::span<const uint8_t>(body_buffer_.get(), n);
      }
    }
    co_return std::span<const uint8_t>{};
  }

  asio::awaitable<void> respond(int status, std::string content_type, std::string body, Headers headers) override {
    status_ = status;
    started_ = true;
    const bool ka = keep_alive_decision();
    keep_window();
    beast::error_code ec;
    conn_.tcp().expires_after(ctx_.config.body_timeout);
    if (head_request_) {
      http::response<http::empty_body> res{static_cast<http::status>(status), 11};
      fill(res, content_type, headers, ka);
      res.content_length(body.size());
      // clang-tidy sees a suspension point as a loop and this branch's
      // write as a use after the other branch's move (a template only).
      co_await http::async_write(conn_.stream, res,  // NOLINT(bugprone-use-after-move)
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      fill(res, content_type, headers, ka);
      res.body() = std::move(body);
      res.prepare_payload();
      ctx_.metrics.bytes_sent.fetch_add(res.body().size(), std::memory_order_relaxed);
      bytes_out_ += res.body().size();
      co_await http::async_write(conn_.stream, res, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) throw ConnectionLost();
  }

  asio::awaitable<void> begin_body(int status, Headers headers, uint64_t content_length) override {
    status_ = status;
    started_ = true;
    const bool ka = keep_alive_decision();
    // The header alone, from an empty body with the length announced: the
    // body bytes follow raw (Content-Length framing) from write_body.
    http::response<http::empty_body> res{static_cast<http::status>(status), 11};
    fill(res, "", headers, ka);
    res.content_length(content_length);
    if (!head_request_) {
      if (ctx_.config.congestion == net::congestion_auto)
        net::set_send_congestion(conn_.tcp().socket().native_handle(), content_length);
      body_left_ = content_length;
      rate_.emplace(ctx_.config.send_rate, content_length);
      if (content_length > 0) set_reset_on_close(conn_.tcp(), true);
      // Cork so the header and the first body bytes leave in one segment
      // instead of a lone header packet (seed 003: TCP_CORK). Over TLS they
      // are two records, still one segment.
      set_cork(conn_.tcp(), true);
      corked_ = true;
    } else {
      keep_window();
    }
    beast::error_code ec;
    conn_.tcp().expires_after(ctx_.config.body_timeout);
    co_await http::async_write(conn_.stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      cut_ = true;
      throw ConnectionLost();
    }
  }

  asio::awaitable<void> write_body(std::span<const uint8_t> bytes) override {
    if (cut_) throw ConnectionLost();
    if (head_request_ || bytes.empty()) co_return;
    if (bytes.size() > body_left_) throw Error(ErrorKind::internal, "response body longer than its Content-Length");
    while (!bytes.empty()) {
      // Each piece the stream takes is progress (over TLS, up to 256 KiB
      // in records, tls_record_stream.hpp); the write is cut when the client falls below the
      // minimum rate or one write waits longer than body_timeout, whichever
      // comes first.
      const auto now = std::chrono::steady_clock::now();
      const auto rate_deadline = rate_->write_started(now);
      const auto pause_deadline = now + ctx_.config.body_timeout;
      conn_.tcp().expires_at(std::min(rate_deadline, pause_deadline));
      beast::error_code ec;
      size_t n = co_await conn_.stream.async_write_some(asio::buffer(bytes.data(), bytes.size()),
                                                        asio::redirect_error(asio::use_awaitable, ec));
      rate_->written(std::chrono::steady_clock::now(), n);
      if (ec) {
        cut_ = true;
        CutReason reason = CutReason::peer_gone;
        if (ec == beast::error::timeout) {
          reason = rate_deadline <= pause_deadline ? CutReason::slow_reader : CutReason::send_timeout;
        }
        ctx_.metrics.count_cut(reason);
        throw ConnectionLost();
      }
      uncork();
      ctx_.metrics.bytes_sent.fetch_add(n, std::memory_order_relaxed);
      bytes_out_ += n;
      body_left_ -= n;
      bytes = bytes.subspan(n);
    }
  }

  asio::awaitable<void> end_body() override {
    if (cut_) throw ConnectionLost();
    if (head_request_) co_return;
    // Fewer bytes than announced: the client must see a cut, not a hang.
    if (body_left_ != 0) throw Error(ErrorKind::internal, "response body shorter than its Content-Length");
    uncork();
    set_reset_on_close(conn_.tcp(), false);
    co_return;
  }

  asio::awaitable<void> blocking(std::function<void()> fn) override {
    co_await run_blocking(pools_.steps, std::move(fn));  // NOLINT(bugprone-use-after-move): see respond
  }

  bool response_started() const override { return started_; }
  void cut() override { cut_ = true; }
  int native_socket() override { return conn_.tcp().socket().native_handle(); }

  int status() const { return status_; }
  uint64_t bytes_in() const { return bytes_in_; }    // request body bytes read
  uint64_t bytes_out() const { return bytes_out_; }  // response body bytes sent
  // The connection cannot carry another request: the body was not read to
  // its end, a response was cut, or either side asked to close.
  bool must_close() const { return !keep_alive_decision() || body_broken_ || cut_; }

 private:
  template <class Message>
  void fill(Message& res, std::string_view content_type, const Headers& headers, bool keep_alive) {
    if (!content_type.empty()) res.set(http::field::content_type, std::string(content_type));
    for (const auto& [name, value] : headers) res.set(name, value);
    res.keep_alive(keep_alive);
  }

  bool keep_alive_decision() const { return keep_alive_ && parser_.is_done() && !registry_.stopping(); }

  void uncork() {
    if (corked_) {
      set_cork(conn_.tcp(), false);
      corked_ = false;
    }
  }

  GatewayContext& ctx_;
  BlockingPools& pools_;
  SessionRegistry& registry_;
  Connection<S>& conn_;
  http::request_parser<http::buffer_body>& parser_;
  std::unique_ptr<uint8_t[]> body_buffer_;  // allocated by the first read_body
  Request request_;
  bool head_request_;
  bool keep_alive_;
  bool started_ = false;
  bool body_broken_ = false;
  bool cut_ = false;
  bool corked_ = false;
  int status_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  uint64_t body_left_ = 0;             // announced body bytes not yet written
  bool invitation_closed_ = false;     // "100 Continue" went out, or the body is being read: no (more) invitation
  std::optional<SendRateGuard> rate_;  // from begin_body
};

// Answers a request whose header could not be parsed, then the connection closes.
template <class S>
asio::awaitable<void> answer_unparsable(Connection<S>& conn, int status, std::string_view kind,
                                        std::string_view message) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = error_json(kind, message);
  res.keep_alive(false);
  res.prepare_payload();
  beast::error_code ec;
  conn.tcp().expires_after(std::chrono::seconds(10));
  co_await http::async_write(conn.stream, res, asio::redirect_error(asio::use_awaitable, ec));
}

// Closes after an answer that left request bytes unread: send our FIN first
// (after the transport's own close, a TLS close_notify), then read and
// discard the raw bytes for a moment so the kernel does not answer the
// peer's remaining bytes with a RST that could destroy our response before
// the peer reads it.
template <class S>
asio::awaitable<void> lingering_close(Connection<S>& conn) {
  co_await Transport<S>::finish(conn);
  beast::error_code ec;
  auto& raw = conn.tcp();
  raw.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<uint8_t> sink(64 * 1024);
  size_t drained = 0;
  raw.expires_after(std::chrono::seconds(2));
  while (!ec && drained < (64u << 20)) {
    size_t n = co_await raw.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    drained += n;
  }
  raw.socket().close(ec);
}

// At the connection limit with no idle connection to close: a short 503,
// then close. The request is never read, so the close lingers a moment (the
// kernel answers unread bytes with a RST that can destroy the 503 before the
// peer reads it). The transport has started (a TLS handshake done).
template <class S>
asio::awaitable<void> refuse(Connection<S>& conn) {
  static const std::string body = error_json("too_many_connections", "connection limit reached, retry later");
  static const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  beast::error_code ec;
  conn.tcp().expires_after(std::chrono::seconds(2));
  co_await asio::async_write(conn.stream, asio::buffer(answer), asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await lingering_close(conn);
  conn.tcp().socket().close(ec);
}

inline FramingFacts framing_facts(const http::request_parser<http::buffer_body>& parser) {
  const auto& msg = parser.get();
  FramingFacts facts;
  facts.method = std::string_view(msg.method_string().data(), msg.method_string().size());
  auto [first, last] = msg.equal_range(http::field::transfer_encoding);
  for (auto it = first; it != last; ++it) facts.transfer_encoding.emplace_back(it->value().data(), it->value().size());
  facts.content_length = msg.find(http::field::content_length) != msg.end();  // Beast checked its value
  facts.http10 = msg.version() < 11;
  return facts;
}

inline Peer peer_of(const tcp::endpoint& endpoint) {
  return {endpoint.address().to_string() + ":" + std::to_string(endpoint.port()), endpoint.address().is_loopback()};
}

inline Request make_request(const http::request_parser<http::buffer_body>& parser, const Peer& peer) {
  const auto& msg = parser.get();
  Request r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  if (auto length = parser.content_length()) r.content_length = *length;
  r.chunked = parser.chunked();
  r.peer = peer;
  r.header = [&msg](std::string_view name) {
    auto it = msg.find(beast::string_view(name.data(), name.size()));
    return it == msg.end() ? std::string() : std::string(it->value());
  };
  r.all_headers = [&msg] {
    Headers all;
    for (const auto& field : msg) all.emplace_back(std::string(field.name_string()), std::string(field.value()));
    return all;
  };
  return r;
}

// The access-log line of a request whose header could not be parsed.
inline AccessRecord unparsable(uint64_t connection, const Peer& peer, int status) {
  return {{}, connection, peer.address, "-", "-", status, 0, 0, 0, false};
}

// Socket tuning of every served connection, whatever the transport.
inline void tune_socket(tcp::socket& socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  socket.set_option(asio::socket_base::keep_alive(true), ec);
  net::enlarge_send_buffer(socket.native_handle());  // downloads over long, lossy links
}

// How a connection ends.
enum class Close {
  quiet,     // just close: the peer left, a timeout, an error, shutdown
  graceful,  // both sides are done: the transport's close, our FIN, close
  linger,    // request bytes left unread: FIN, then drain a moment (lingering_close)
};

// HTTP/1.1 requests on a started connection until the peer closes, a
// timeout, an error, or shutdown.
template <class S>
asio::awaitable<Close> serve_http1(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                   std::shared_ptr<Connection<S>> conn, Peer peer, uint64_t connection,
                                   uint64_t registration, uint64_t& served) {
  beast::error_code ec;
  for (;;) {
    if (registry.stopping()) co_return Close::quiet;
    if (conn->buffer.size() == 0) {
      // Between requests: wait as long as the keep-alive allows, and a
      // connection that has sent nothing yet only briefly. A client that
      // closes gets our close at once (no CLOSE_WAIT left behind).
      conn->buffer.shrink_to_fit();
      ec = co_await while_idle(
          registry, registration, *conn,
          Transport<S>::wait_for_request(conn, served == 0 ? ctx.config.first_byte_timeout : ctx.config.idle_timeout));
      if (ec) co_return Close::quiet;
    }

    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(ctx.config.header_limit));
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    conn->tcp().expires_after(ctx.config.header_timeout);
    co_await http::async_read_header(conn->stream, conn->buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (Transport<S>::broken(ec)) co_return Close::quiet;
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        co_await answer_unparsable(*conn, 431, "headers_too_large", "request header block over the limit");
        ctx.metrics.count_request("-", 431, 0);
        ctx.request_log.access(unparsable(connection, peer, 431));
        co_return Close::linger;
      }
      if (ec != http::error::end_of_stream && ec != http::error::partial_message && ec != beast::error::timeout &&
          ec != asio::error::eof && ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
        co_await answer_unparsable(*conn, 400, "bad_request", "malformed HTTP request: " + ec.message());
        ctx.metrics.count_request("-", 400, 0);
        ctx.request_log.access(unparsable(connection, peer, 400));
        co_return Close::linger;
      }
      co_return Close::quiet;
    }

    if (auto refused = check_framing(framing_facts(parser))) {
      // The body's extent is unknown (or would be guessed wrong): answer and
      // close, never read what follows as another request.
      const int status = http_status(refused->kind());
      co_await answer_unparsable(*conn, status, kind_name(refused->kind()), refused->public_message());
      ctx.metrics.count_request(std::string(parser.get().method_string()), status, 0);
      AccessRecord record = unparsable(connection, peer, status);
      record.method = std::string(parser.get().method_string());
      record.target = std::string(parser.get().target());
      ctx.request_log.access(std::move(record));
      co_return Close::linger;
    }

    const auto started = std::chrono::steady_clock::now();
    BeastExchange<S> ex(ctx, pools, registry, *conn, parser, make_request(parser, peer));
    const Route route = parse_route(ex.request().target);
    const Served outcome = co_await serve_request(ctx, ex, route, connection);
    const int status = outcome.failure_status.value_or(ex.status());
    const bool lost = outcome.lost;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    account_request(ctx, connection, ex.request(), status, ex.status(), ex.bytes_in(), ex.bytes_out(), seconds, lost);
    ++served;
    if (lost) co_return Close::quiet;
    if (ex.must_close()) co_return parser.is_done() ? Close::graceful : Close::linger;
  }
}

// The byte stream of a connection, for the HTTP/2 loop (session_h2.cpp),
// which knows no Beast. Beast's stream keeps one deadline per direction, so
// the reader's and the flusher's timeouts do not disturb each other.
template <class S>
class H2StreamIo final : public H2Transport {
 public:
  // registry: null for a connection refused at the limit (never registered).
  H2StreamIo(std::shared_ptr<Connection<S>> conn, SessionRegistry* registry, uint64_t registration)
      : conn_(std::move(conn)), registry_(registry), registration_(registration) {}

  asio::awaitable<std::pair<beast::error_code, size_t>> read_some(
      std::span<uint8_t> into, std::chrono::steady_clock::duration timeout) override {
    beast::error_code ec;
    conn_->tcp().expires_after(timeout);
    const size_t n = co_await conn_->stream.async_read_some(asio::buffer(into.data(), into.size()),
                                                            asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) ec = asio::error::timed_out;
    co_return std::pair{ec, n};
  }

  asio::awaitable<beast::error_code> write(std::span<const uint8_t> bytes,
                                           std::chrono::steady_clock::duration timeout) override {
    beast::error_code ec;
    conn_->tcp().expires_after(timeout);
    co_await asio::async_write(conn_->stream, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }

  void cancel() override {
    beast::error_code ec;
    conn_->tcp().socket().cancel(ec);
  }
  void stop_reading() override {
    beast::error_code ec;
    conn_->tcp().socket().shutdown(tcp::socket::shutdown_receive, ec);
  }
  void set_idle(bool idle) override {
    if (conn_->idle == idle || !registry_) return;
    conn_->idle = idle;
    registry_->set_idle(registration_, idle);
  }
  int native_socket() override { return conn_->tcp().socket().native_handle(); }
  asio::any_io_executor executor() override { return conn_->stream.get_executor(); }

 private:
  std::shared_ptr<Connection<S>> conn_;
  SessionRegistry* registry_;
  uint64_t registration_;
};

// HTTP/2 on a started connection: the bytes already read (the h2c preface)
// go first.
template <class S>
asio::awaitable<Close> serve_h2(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                std::shared_ptr<Connection<S>> conn, Peer peer, uint64_t connection,
                                uint64_t registration, uint64_t& served) {
  std::vector<uint8_t> already(conn->buffer.size());
  asio::buffer_copy(asio::buffer(already), conn->buffer.data());
  conn->buffer.consume(conn->buffer.size());
  conn->buffer.shrink_to_fit();
  H2StreamIo<S> io(conn, &registry, registration);
  const bool clean = co_await serve_http2(ctx, pools, registry, io, already, std::move(peer), connection, served);
  io.set_idle(false);
  co_return clean ? Close::graceful : Close::quiet;
}

// The whole connection: registration (shutdown, the connection limit), the
// transport's start, the protocol's requests, the close.
template <class S>
asio::awaitable<void> run(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                          std::shared_ptr<Connection<S>> conn, Peer peer) {
  const uint64_t connection = ctx.metrics.connections_accepted.fetch_add(1, std::memory_order_relaxed) + 1;
  ctx.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
  // Shutdown, or the connection limit: an idle connection closes now; a busy
  // one finishes its response (and closes after it at shutdown).
  const uint64_t registration = registry.add([weak = std::weak_ptr<Connection<S>>(conn)] {
    if (auto c = weak.lock()) {
      asio::post(c->stream.get_executor(), [c] {
        if (c->idle) c->tcp().socket().cancel();
      });
    }
  });

  uint64_t served = 0;
  Close close = Close::quiet;
  const std::optional<AppProtocol> protocol = co_await Transport<S>::start(ctx, registry, registration, conn);
  if (protocol) {
    switch (*protocol) {
      case AppProtocol::http1:
        ctx.metrics.count_connection_protocol("http1");
        close = co_await serve_http1(ctx, pools, registry, conn, peer, connection, registration, served);
        break;
      case AppProtocol::http2:
        close = co_await serve_h2(ctx, pools, registry, conn, peer, connection, registration, served);
        break;
    }
  }

  beast::error_code ec;
  if (close == Close::linger) {
    co_await lingering_close(*conn);
  } else if (close == Close::graceful) {
    co_await Transport<S>::finish(*conn);
    conn->tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
  }
  conn->tcp().socket().close(ec);
  registry.remove(registration);
  ctx.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  ctx.metrics.count_connection_closed(served);
}

}  // namespace haul::gateway::session_detail
