#pragma once
// The edge's connections to the gateway (HTTP/1.1 or HTTP/2, plain or TLS):
// opened at start and kept open, so a local request never waits for a
// handshake or slow start across the long link.
//
// Over TLS the edge offers ALPN "h2" beside "http/1.1" (unless
// --upstream-http2 off); a connection on which the gateway picks h2 becomes
// an H2Upstream (h2_upstream.hpp) that carries many local requests at once
// as streams, and counts as warm while it has room for another stream. A
// gateway that picks http/1.1 gets the HTTP/1.1 path below, unchanged.
//
// An idle connection is watched (one pending read on the pool's strand):
// when the gateway closes it (idle timeout, restart) the watch sees it at
// once, the connection is dropped and a new one opened in the background, so
// a request is not sent into a connection that is already gone. Over TLS the
// watch also takes the session tickets the gateway sends after a handshake;
// the newest ticket resumes the next connection (one round trip less).
// Taking a connection cancels its watch and waits for the watch to end
// before the caller's coroutine uses it: one user of a socket at a time.
//
// Beast is confined to this header's users (upstream.cpp, window_warmup.cpp,
// edge_forwarder.cpp, and the HTTP/2 glue h2_upstream.cpp, h2_relay.cpp).

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "edge/edge_config.hpp"
#include "edge/h2_client.hpp"

struct ssl_session_st;

namespace haul::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;

struct UpstreamStats {
  std::atomic<uint64_t> opened{0};             // connections opened (handshake done)
  std::atomic<uint64_t> connect_failed{0};     // attempts that did not reach a usable connection
  std::atomic<uint64_t> closed_by_gateway{0};  // idle connections the gateway closed
  std::atomic<uint64_t> unanswered_ping{0};    // HTTP/2 connections given up: a PING went unanswered
  std::atomic<uint64_t> tls_resumed{0};        // TLS handshakes that resumed a session
  std::atomic<uint64_t> windows_warmed{0};     // new connections whose windows were opened (window_warmup.hpp)
  std::atomic<int64_t> open{0};                // open now, idle or busy
  std::atomic<uint64_t> requests{0};           // requests relayed
  std::atomic<uint64_t> reused{0};             // of them on a connection that had carried one before
  std::atomic<uint64_t> retries{0};            // requests sent again on a new connection
  std::atomic<uint64_t> failures{0};           // requests answered with an edge error (gateway unreachable, cut)
  std::atomic<uint64_t> bytes_up{0};           // request body bytes to the gateway
  std::atomic<uint64_t> bytes_down{0};         // response body bytes from it
  std::atomic<uint64_t> h2_streams{0};         // of the requests, relayed as HTTP/2 streams
  std::atomic<uint64_t> h2_refused{0};         // streams the gateway refused (sent again elsewhere)
};

class H2Upstream;

class UpstreamConnection {
 public:
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  UpstreamConnection(asio::any_io_executor executor, asio::ssl::context* tls);
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  beast::tcp_stream* plain() { return plain_.get(); }
  TlsStream* tls() { return tls_.get(); }
  int fd() { return tcp().socket().native_handle(); }

  static constexpr size_t kReadBytes = 64 * 1024;
  beast::flat_buffer buffer;  // bytes read past the last response (none on a clean connection)
  uint64_t requests = 0;      // requests carried so far
  bool http2 = false;         // ALPN chose h2 (or h2c by prior knowledge): an H2Upstream's now

 private:
  friend class UpstreamPool;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> tls_;
  // Set when a request takes it from the idle set; `watch_done` fires when
  // the pool's watch of it has ended.
  bool taken = false;
  std::optional<asio::steady_timer> watch_done;
  uint8_t watch_byte = 0;
};

// What a new connection sends to open its windows (window_warmup.hpp).
struct WindowWarmup {
  uint64_t bytes = 0;                          // each way; 0: none
  std::function<std::string()> authorization;  // the gateway token's header value, now
};

class UpstreamPool {
 public:
  // Throws Error(config) when the CA file cannot be read.
  UpstreamPool(GatewayAddress gateway, const std::string& ca_file, unsigned warm, std::chrono::seconds connect_timeout,
               WindowWarmup warmup, UpstreamHttp2 http2 = UpstreamHttp2::off);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // Opens the warm connections in the background and keeps that many idle.
  void start(asio::io_context& ioc);
  // Stops reconnecting and closes the idle connections.
  void stop();

  // An idle connection, or a new one when none is idle. Throws
  // Error(backend_unavailable) when the gateway cannot be reached.
  asio::awaitable<std::unique_ptr<UpstreamConnection>> acquire();
  // Always a new connection (a retry after a connection broke). Each has a
  // strand of its own as its executor (an HTTP/2 one is driven on it).
  asio::awaitable<std::unique_ptr<UpstreamConnection>> connect();
  // The HTTP/2 connection with the fewest streams that has room for one
  // more; null when there is none (then acquire() opens a connection).
  std::shared_ptr<H2Upstream> pick_h2();
  // A connection that came back from connect() with `http2` set: started as
  // an H2Upstream and added to the set others pick from.
  std::shared_ptr<H2Upstream> adopt_h2(std::unique_ptr<UpstreamConnection> conn);
  // Back to the idle set (the caller checked it can carry another request).
  void release(std::unique_ptr<UpstreamConnection> conn);
  // A connection that cannot be reused: closed, and the warm set refilled.
  void discard(std::unique_ptr<UpstreamConnection> conn);

  UpstreamStats& stats() { return stats_; }
  const GatewayAddress& gateway() const { return gateway_; }
  // Idle HTTP/1.1 connections plus HTTP/2 ones with room for a stream.
  size_t idle_count();
  // Prometheus text: the counters, and cwnd / RTT of every idle connection.
  void render(std::string& out);

 private:
  asio::awaitable<std::unique_ptr<UpstreamConnection>> take_idle();
  asio::awaitable<void> watch(UpstreamConnection* conn);
  asio::awaitable<void> refill();
  // A new connection greeted and, on a long path, its windows opened; null
  // when it failed (counted, logged once per outage by the caller).
  asio::awaitable<std::unique_ptr<UpstreamConnection>> prepare(std::unique_ptr<UpstreamConnection> conn, bool& warned);
  void start_watch(std::unique_ptr<UpstreamConnection> conn);
  // The greeting and window warm-up of a new HTTP/2 connection, as streams.
  asio::awaitable<bool> prepare_h2(std::shared_ptr<H2Upstream> conn, bool& warned);
  void h2_gone(H2Upstream& conn);
  void schedule_refill();
  static int on_new_session(struct ssl_st* ssl, ssl_session_st* session);

  GatewayAddress gateway_;
  std::chrono::seconds connect_timeout_;
  unsigned warm_;
  WindowWarmup warmup_;
  bool warmup_failed_ = false;  // a warm-up failed: no more of them (logged once)
  // The new connection being greeted and warmed (on the strand): stop()
  // cancels it, so a warm-up across a slow link does not hold up shutdown.
  UpstreamConnection* preparing_ = nullptr;
  UpstreamHttp2 http2_;
  h2::H2ClientLimits h2_limits_;
  asio::io_context* ioc_ = nullptr;
  std::optional<asio::ssl::context> tls_;
  std::optional<asio::strand<asio::io_context::executor_type>> strand_;  // the watches and the refill
  UpstreamStats stats_;
  bool stopped_ = false;
  bool refilling_ = false;
  std::mutex mutex_;  // idle_ (also touched on the strand only), h2_, session_
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;
  std::vector<std::shared_ptr<H2Upstream>> h2_;
  ssl_session_st* session_ = nullptr;  // the newest TLS session ticket
};

}  // namespace haul::edge
