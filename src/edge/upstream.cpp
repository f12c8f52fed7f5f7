#include "edge/upstream.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "net/send_buffer.hpp"
#include "edge/h2_upstream.hpp"
#include "edge/window_warmup.hpp"
#include "net/tcp_info.hpp"

namespace haul::edge {

namespace {

using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Why a TLS handshake failed, in words a user can act on: the verification
// result when the certificate was refused.
std::string handshake_failure(SSL* ssl, const error_code& ec) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return fmt::format("the gateway's certificate was refused: {} (check --cacert and the name in --gateway)",
                       X509_verify_cert_error_string(verify));
  }
  return "TLS handshake failed: " + ec.message();
}

// The pool, found from a session callback. Not SSL_CTX's app data: Asio's
// ssl::context keeps its verify callback there and deletes it at the end.
int pool_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

UpstreamConnection::UpstreamConnection(asio::any_io_executor executor, asio::ssl::context* tls) {
  if (tls) {
    tls_ = std::make_unique<TlsStream>(beast::tcp_stream(executor), *tls);
  } else {
    plain_ = std::make_unique<beast::tcp_stream>(executor);
  }
  // Beast reads a response body in pieces of this buffer's free capacity
  // (at least 512 bytes); grown only by a header, it would stay at 512 and a
  // 10 MiB download would take 20 000 reads. 64 KiB is Beast's cap per read.
  buffer.reserve(kReadBytes);
}

UpstreamPool::UpstreamPool(GatewayAddress gateway, const std::string& ca_file, unsigned warm,
                           std::chrono::seconds connect_timeout, WindowWarmup warmup, UpstreamHttp2 http2)
    : gateway_(std::move(gateway)),
      connect_timeout_(connect_timeout),
      warm_(warm),
      warmup_(std::move(warmup)),
      http2_(http2) {
  if (!gateway_.tls) return;
  tls_.emplace(asio::ssl::context::tls_client);
  SSL_CTX* native = tls_->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  tls_->set_verify_mode(asio::ssl::verify_peer);
  error_code ec;
  if (ca_file.empty()) {
    tls_->set_default_verify_paths(ec);
  } else {
    tls_->load_verify_file(ca_file, ec);
  }
  if (ec) throw Error(ErrorKind::config, "--cacert " + ca_file + ": cannot load the CA certificates: " + ec.message());
  // h2 first when allowed: the gateway picks it when it speaks it, an old
  // one picks http/1.1 (or ignores ALPN) and keeps the HTTP/1.1 path.
  static constexpr unsigned char h1_only[] = "\x08http/1.1";
  static constexpr unsigned char h2_first[] = "\x02h2\x08http/1.1";
  if (http2_ == UpstreamHttp2::off) {
    SSL_CTX_set_alpn_protos(native, h1_only, sizeof h1_only - 1);
  } else {
    SSL_CTX_set_alpn_protos(native, h2_first, sizeof h2_first - 1);
  }
  // Sessions are kept here (the newest one), not in OpenSSL's cache: a
  // client cache is keyed by nothing useful, and one gateway has one.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_set_ex_data(native, pool_index(), this);
  SSL_CTX_sess_set_new_cb(native, &UpstreamPool::on_new_session);
}

UpstreamPool::~UpstreamPool() {
  if (session_) SSL_SESSION_free(session_);
}

int UpstreamPool::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<UpstreamPool*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pool_index()));
  std::lock_guard lock(self->mutex_);
  if (self->session_) SSL_SESSION_free(self->session_);
  self->session_ = session;
  return 1;  // the reference is ours now
}

void UpstreamPool::start(asio::io_context& ioc) {
  ioc_ = &ioc;
  strand_.emplace(asio::make_strand(ioc));
  schedule_refill();
}

void UpstreamPool::stop() {
  asio::post(*strand_, [this] {
    stopped_ = true;
    if (preparing_) preparing_->tcp().cancel();
    std::lock_guard lock(mutex_);
    for (auto& conn : idle_) {
      error_code ignored;
      conn->tcp().socket().cancel(ignored);  // the watch ends and closes it
    }
    for (auto& conn : h2_) conn->stop();  // GOAWAY; closed when its streams are done
  });
}

asio::awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::connect() {
  auto executor = co_await asio::this_coro::executor;
  // A strand of its own: an HTTP/2 connection's reader, flusher and streams
  // run on it; an HTTP/1.1 one has one user at a time and does not mind.
  auto conn = std::make_unique<UpstreamConnection>(asio::make_strand(*ioc_), tls_ ? &*tls_ : nullptr);
  error_code ec;
  std::string failure;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(gateway_.host, std::to_string(gateway_.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) failure = "cannot resolve " + gateway_.host + ": " + ec.message();
  if (!ec) {
    conn->tcp().expires_after(connect_timeout_);
    co_await conn->tcp().async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) failure = "cannot connect to the gateway " + gateway_.authority + ": " + ec.message();
  }
  if (!ec) {
    const int one = 1;
    ::setsockopt(conn->fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    net::enlarge_send_buffer(conn->fd());  // uploads over long, lossy links (net/send_buffer.hpp)
  }
  if (!ec && conn->tls()) {
    SSL* ssl = conn->tls()->native_handle();
    if (!is_ip_literal(gateway_.host)) SSL_set_tlsext_host_name(ssl, gateway_.host.c_str());
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip_literal(gateway_.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, gateway_.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, gateway_.host.c_str(), 0);
    }
    {
      std::lock_guard lock(mutex_);
      if (session_) SSL_set_session(ssl, session_);
    }
    co_await conn->tls()->async_handshake(asio::ssl::stream_base::client,
                                          asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      failure = handshake_failure(ssl, ec);
    } else {
      if (SSL_session_reused(ssl)) stats_.tls_resumed.fetch_add(1, std::memory_order_relaxed);
      const unsigned char* alpn = nullptr;
      unsigned alpn_length = 0;
      SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
      conn->http2 = http2_ != UpstreamHttp2::off && alpn_length == 2 && alpn[0] == 'h' && alpn[1] == '2';
    }
  } else if (!ec) {
    conn->http2 = http2_ == UpstreamHttp2::h2c;
  }
  if (ec) {
    stats_.connect_failed.fetch_add(1, std::memory_order_relaxed);
    // The local client is the edge's own user: the reason is theirs to see.
    throw Error(ErrorKind::backend_unavailable, "the edge cannot reach the gateway: " + failure);
  }
  conn->tcp().expires_never();
  stats_.opened.fetch_add(1, std::memory_order_relaxed);
  stats_.open.fetch_add(1, std::memory_order_relaxed);
  co_return conn;
}

asio::awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::acquire() {
  auto conn = co_await asio::co_spawn(*strand_, take_idle(), asio::use_awaitable);
  if (conn) co_return conn;
  co_return co_await connect();
}

std::shared_ptr<H2Upstream> UpstreamPool::pick_h2() {
  std::lock_guard lock(mutex_);
  std::shared_ptr<H2Upstream> best;
  for (const auto& conn : h2_) {
    if (!conn->has_room()) continue;
    if (!best || conn->active() < best->active()) best = conn;
  }
  return best;
}

std::shared_ptr<H2Upstream> UpstreamPool::adopt_h2(std::unique_ptr<UpstreamConnection> conn) {
  auto h2 = std::make_shared<H2Upstream>(std::move(conn), h2_limits_, [this](H2Upstream& gone) { h2_gone(gone); });
  {
    std::lock_guard lock(mutex_);
    h2_.push_back(h2);
  }
  h2->start();
  return h2;
}

// On the connection's strand, once: out of the set, replaced.
void UpstreamPool::h2_gone(H2Upstream& gone) {
  asio::post(*strand_, [this, raw = &gone] {
    std::shared_ptr<H2Upstream> owned;  // dies here, after the lock
    {
      std::lock_guard lock(mutex_);
      auto it = std::find_if(h2_.begin(), h2_.end(), [raw](const auto& c) { return c.get() == raw; });
      if (it == h2_.end()) return;
      owned = std::move(*it);
      h2_.erase(it);
    }
    if (owned->gave_up()) {
      stats_.unanswered_ping.fetch_add(1, std::memory_order_relaxed);
    } else if (!stopped_) {
      stats_.closed_by_gateway.fetch_add(1, std::memory_order_relaxed);
    }
    stats_.open.fetch_sub(1, std::memory_order_relaxed);
    schedule_refill();
  });
}

asio::awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::take_idle() {
  for (;;) {
    std::unique_ptr<UpstreamConnection> conn;
    {
      std::lock_guard lock(mutex_);
      if (idle_.empty()) break;
      conn = std::move(idle_.back());  // the most recently used: its window is the freshest
      idle_.pop_back();
    }
    conn->taken = true;
    error_code ec;
    conn->tcp().socket().cancel(ec);
    co_await conn->watch_done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (conn->tcp().socket().is_open()) {
      schedule_refill();  // keep `warm` idle ones behind it
      co_return conn;
    }
  }
  schedule_refill();
  co_return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> conn) {
  asio::post(*strand_, [this, conn = std::move(conn)]() mutable { start_watch(std::move(conn)); });
}

void UpstreamPool::discard(std::unique_ptr<UpstreamConnection> conn) {
  error_code ignored;
  conn->tcp().socket().close(ignored);
  stats_.open.fetch_sub(1, std::memory_order_relaxed);
  asio::post(*strand_, [this] { schedule_refill(); });
}

// On the strand.
void UpstreamPool::start_watch(std::unique_ptr<UpstreamConnection> conn) {
  if (stopped_) {
    error_code ignored;
    conn->tcp().socket().close(ignored);
    stats_.open.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  conn->taken = false;
  conn->watch_done.emplace(*strand_, asio::steady_timer::time_point::max());
  UpstreamConnection* raw = conn.get();
  {
    // Used connections at the back, where take_idle looks first: their
    // windows are open (the gateway's too, for downloads); a new one only
    // when none is idle. Otherwise a refill that lands just after a
    // release would hand the next request a connection in slow start.
    std::lock_guard lock(mutex_);
    if (raw->requests > 0) {
      idle_.push_back(std::move(conn));
    } else {
      idle_.push_front(std::move(conn));
    }
  }
  asio::co_spawn(*strand_, watch(raw), asio::detached);
}

namespace {

// GET /healthz on a new connection, so the gateway counts it as used: it
// closes a connection that never sent a request after its first-byte
// timeout (10 s), and holds one that sent nothing in the kernel's accept
// queue (TCP_DEFER_ACCEPT) until then. Over TLS it also takes the session
// tickets the gateway sent after the handshake.
template <class Stream>
asio::awaitable<void> greet(Stream& stream, UpstreamConnection& conn, const std::string& authority,
                            std::chrono::seconds timeout, error_code& ec) {
  namespace http = beast::http;
  http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
  req.set(http::field::host, authority);
  conn.tcp().expires_after(timeout);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  co_await http::async_read(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && (parser.get().result_int() != 200 || !parser.get().keep_alive())) ec = asio::error::connection_refused;
  conn.tcp().expires_never();
}

template <class Stream>
asio::awaitable<size_t> read_some(Stream& stream, uint8_t& byte, error_code& ec) {
  co_return co_await stream.async_read_some(asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

// On the strand. Ends when the connection is taken (its read cancelled), or
// when the gateway closes it or sends something unasked (then it is closed
// here and replaced).
asio::awaitable<void> UpstreamPool::watch(UpstreamConnection* conn) {
  error_code ec;
  if (conn->taken) {
    // Taken before this coroutine started (co_spawn defers its start): no
    // read was ever pending.
    conn->watch_done->cancel();
    co_return;
  }
  if (conn->tls()) {
    co_await read_some(*conn->tls(), conn->watch_byte, ec);
  } else {
    co_await read_some(*conn->plain(), conn->watch_byte, ec);
  }
  if (conn->taken && ec == asio::error::operation_aborted) {
    conn->watch_done->cancel();  // take_idle goes on with it
    co_return;
  }
  // Closed by the gateway (or unexpected bytes): out of the idle set,
  // closed, replaced.
  std::unique_ptr<UpstreamConnection> owned;
  {
    std::lock_guard lock(mutex_);
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->get() == conn) {
        owned = std::move(*it);
        idle_.erase(it);
        break;
      }
    }
  }
  if (!stopped_ && !conn->taken) stats_.closed_by_gateway.fetch_add(1, std::memory_order_relaxed);
  error_code ignored;
  conn->tcp().socket().close(ignored);
  stats_.open.fetch_sub(1, std::memory_order_relaxed);
  conn->watch_done->cancel();
  // When taken, take_idle owns it and sees the closed socket; otherwise it
  // dies here.
  owned.reset();
  schedule_refill();
}

// On the strand.
void UpstreamPool::schedule_refill() {
  if (stopped_ || refilling_) return;
  refilling_ = true;
  asio::co_spawn(*strand_, refill(), asio::detached);
}

// On the strand: opens connections until `warm` are idle. A gateway that
// cannot be reached is retried every second (with one log line per outage).
asio::awaitable<void> UpstreamPool::refill() {
  bool warned = false;
  asio::steady_timer pause(*strand_);
  while (!stopped_ && idle_count() < warm_) {
    std::unique_ptr<UpstreamConnection> conn;
    try {
      conn = co_await connect();
    } catch (const Error& e) {
      if (!warned) spdlog::warn("edge: {} (retrying every second)", e.what());
      warned = true;
    }
    if (conn && conn->http2) {
      auto h2 = adopt_h2(std::move(conn));
      const bool prepared = co_await prepare_h2(h2, warned);
      if (prepared) {
        if (warned) spdlog::info("gateway {} reachable again", gateway_.authority);
        warned = false;
        continue;
      }
      h2->stop();
      if (stopped_) break;
      pause.expires_after(std::chrono::seconds(1));
      error_code ec;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (conn) conn = co_await prepare(std::move(conn), warned);
    if (conn) {
      if (warned) spdlog::info("gateway {} reachable again", gateway_.authority);
      warned = false;
      start_watch(std::move(conn));
      continue;
    }
    if (stopped_) break;  // stop() cancelled the connection being prepared
    pause.expires_after(std::chrono::seconds(1));
    error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  refilling_ = false;
}

// On the strand.
asio::awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::prepare(std::unique_ptr<UpstreamConnection> conn,
                                                                           bool& warned) {
  error_code ec;
  preparing_ = conn.get();
  if (conn->tls()) {
    co_await greet(*conn->tls(), *conn, gateway_.authority, connect_timeout_, ec);
  } else {
    co_await greet(*conn->plain(), *conn, gateway_.authority, connect_timeout_, ec);
  }
  if (ec) {
    if (!warned && !stopped_)
      spdlog::warn("edge: the gateway did not answer GET /healthz on a new connection: {}", ec.message());
    warned = true;
  } else if (const auto info = net::read_tcp_info(conn->fd());
             !warmup_failed_ && info && should_warm_window(warmup_.bytes, info->rtt_us)) {
    const int status =
        co_await warm_window(*conn, gateway_.authority, warmup_.authorization(), warmup_.bytes, connect_timeout_, ec);
    if (!ec && status == 200) {
      stats_.windows_warmed.fetch_add(1, std::memory_order_relaxed);
    } else if (!stopped_) {  // (stopping cancels a warm-up: not a failure)
      // A refusal (a token the gateway does not know, an old gateway) or a
      // transport failure: warm-ups stop for this process, so a refusal
      // never turns into a megabyte sent every second. A connection the
      // failure left usable still serves, cold.
      spdlog::warn(
          "edge: the window warm-up of a new gateway connection failed ({}): connections start cold from now on",
          ec ? ec.message() : "HTTP " + std::to_string(status));
      warmup_failed_ = true;
    }
  }
  preparing_ = nullptr;
  if (!ec) co_return conn;
  stats_.connect_failed.fetch_add(1, std::memory_order_relaxed);
  stats_.open.fetch_sub(1, std::memory_order_relaxed);
  co_return nullptr;
}

// On the strand: GET /healthz as a stream, then the window warm-up as two
// more when the path is long, as prepare() does on HTTP/1.1.
asio::awaitable<bool> UpstreamPool::prepare_h2(std::shared_ptr<H2Upstream> conn, bool& warned) {
  const auto head = [this](std::string method, std::string path, bool authorize) {
    h2::H2RequestHead h{std::move(method), gateway_.tls ? "https" : "http", gateway_.authority, std::move(path), {}};
    if (authorize) h.fields.emplace_back("authorization", warmup_.authorization());
    return h;
  };
  // Each awaitable is named before the co_await: GCC 12 mishandles a
  // co_await whose expression also builds a capturing lambda or temporaries.
  auto greeting = H2Upstream::simple(conn, head("GET", "/healthz", false), 0, connect_timeout_.count());
  const int greeted = co_await asio::co_spawn(conn->executor(), std::move(greeting), asio::use_awaitable);
  if (greeted != 200) {
    if (!warned && !stopped_)
      spdlog::warn("edge: the gateway did not answer GET /healthz on a new HTTP/2 connection (status {})", greeted);
    warned = true;
    co_return false;
  }
  const auto info = net::read_tcp_info(conn->fd());
  if (warmup_failed_ || !info || !should_warm_window(warmup_.bytes, info->rtt_us)) co_return true;
  const auto warm_timeout = connect_timeout_ * 2;
  auto upload = H2Upstream::simple(conn, head("PUT", "/v1/probe/upload", true), warmup_.bytes, warm_timeout.count());
  int status = co_await asio::co_spawn(conn->executor(), std::move(upload), asio::use_awaitable);
  if (status == 200) {
    auto download = H2Upstream::simple(
        conn, head("GET", "/v1/probe/download?bytes=" + std::to_string(warmup_.bytes), true), 0, warm_timeout.count());
    status = co_await asio::co_spawn(conn->executor(), std::move(download), asio::use_awaitable);
  }
  if (status == 200) {
    stats_.windows_warmed.fetch_add(1, std::memory_order_relaxed);
  } else if (!stopped_) {
    // As on HTTP/1.1: no more warm-ups for this process; the connection
    // still serves, cold.
    spdlog::warn(
        "edge: the window warm-up of a new HTTP/2 gateway connection failed (status {}): connections start cold "
        "from now on",
        status);
    warmup_failed_ = true;
  }
  co_return conn->usable();
}

size_t UpstreamPool::idle_count() {
  std::lock_guard lock(mutex_);
  size_t n = idle_.size();
  for (const auto& conn : h2_) n += conn->has_room() ? 1 : 0;
  return n;
}

void UpstreamPool::render(std::string& out) {
  const auto counter = [&out](const char* name, const char* help, uint64_t value, const char* type = "counter") {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
  };
  counter("haul_edge_upstream_connections_opened_total", "Connections opened to the gateway.", stats_.opened.load());
  counter("haul_edge_upstream_connect_failures_total", "Attempts to open a gateway connection that failed.",
          stats_.connect_failed.load());
  counter("haul_edge_upstream_closed_by_gateway_total",
          "Idle gateway connections the gateway closed (replaced at once).", stats_.closed_by_gateway.load());
  counter("haul_edge_upstream_unanswered_ping_total",
          "HTTP/2 gateway connections given up because a PING went unanswered (replaced at once).",
          stats_.unanswered_ping.load());
  counter("haul_edge_upstream_tls_resumed_total", "TLS handshakes to the gateway that resumed a session.",
          stats_.tls_resumed.load());
  counter("haul_edge_upstream_windows_warmed_total",
          "New gateway connections whose congestion windows were opened before use (--warm-window).",
          stats_.windows_warmed.load());
  counter("haul_edge_upstream_connections_open", "Gateway connections open now (idle or busy).",
          static_cast<uint64_t>(std::max<int64_t>(0, stats_.open.load())), "gauge");
  counter("haul_edge_upstream_connections_idle", "Gateway connections open and idle (warm).", idle_count(), "gauge");
  counter("haul_edge_requests_total", "Requests relayed to the gateway.", stats_.requests.load());
  counter("haul_edge_requests_reused_total", "Relayed requests that went on an already used connection.",
          stats_.reused.load());
  counter("haul_edge_retries_total", "Requests sent again on a new connection after the old one broke.",
          stats_.retries.load());
  counter("haul_edge_failures_total", "Requests the edge answered with an error (gateway unreachable or cut).",
          stats_.failures.load());
  counter("haul_edge_bytes_up_total", "Request body bytes sent to the gateway.", stats_.bytes_up.load());
  counter("haul_edge_bytes_down_total", "Response body bytes received from the gateway.", stats_.bytes_down.load());
  size_t h2_open = 0;
  size_t h2_streams_open = 0;
  {
    std::lock_guard lock(mutex_);
    h2_open = h2_.size();
    for (const auto& conn : h2_) h2_streams_open += conn->active();
  }
  counter("haul_edge_upstream_h2_connections", "Gateway connections speaking HTTP/2 now (of the open ones).", h2_open,
          "gauge");
  counter("haul_edge_upstream_h2_streams_open", "HTTP/2 streams in flight to the gateway now.", h2_streams_open,
          "gauge");
  counter("haul_edge_h2_streams_total", "Relayed requests carried as HTTP/2 streams.", stats_.h2_streams.load());
  counter("haul_edge_h2_refused_total", "HTTP/2 streams the gateway refused (sent again on another connection).",
          stats_.h2_refused.load());
  out +=
      "# HELP haul_edge_upstream_cwnd_segments Congestion window of each idle (or HTTP/2) gateway connection "
      "(TCP_INFO).\n"
      "# TYPE haul_edge_upstream_cwnd_segments gauge\n"
      "# HELP haul_edge_upstream_rtt_us Smoothed RTT of each idle gateway connection (TCP_INFO).\n"
      "# TYPE haul_edge_upstream_rtt_us gauge\n";
  std::lock_guard lock(mutex_);
  for (auto& conn : idle_) {
    const auto info = net::read_tcp_info(conn->fd());
    if (!info) continue;
    error_code ec;
    const auto local = conn->tcp().socket().local_endpoint(ec);
    if (ec) continue;
    const int port = local.port();
    out += fmt::format("haul_edge_upstream_cwnd_segments{{local_port=\"{}\"}} {}\n", port, info->snd_cwnd);
    out += fmt::format("haul_edge_upstream_rtt_us{{local_port=\"{}\"}} {}\n", port, info->rtt_us);
  }
  for (const auto& conn : h2_) {
    const auto info = net::read_tcp_info(conn->fd());
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (!info || ::getsockname(conn->fd(), reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
    const int port = local.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port)
                                                 : ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    out += fmt::format("haul_edge_upstream_cwnd_segments{{local_port=\"{}\"}} {}\n", port, info->snd_cwnd);
    out += fmt::format("haul_edge_upstream_rtt_us{{local_port=\"{}\"}} {}\n", port, info->rtt_us);
  }
}

}  // namespace haul::edge
