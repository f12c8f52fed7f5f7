#include "edge/edge_forwarder.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include <functional>
#include <limits>

#include "core/error.hpp"
#include "edge/h2_relay.hpp"
#include "edge/h2_upstream.hpp"
#include "edge/relay_fields.hpp"
#include "edge/upstream.hpp"
#include "net/send_congestion.hpp"

namespace haul::edge {

namespace {

namespace http = beast::http;
using error_code = boost::system::error_code;

constexpr size_t kResponseBufferBytes = 256 * 1024;

struct RelayResult {
  std::optional<std::string> failure;  // why the exchange with the gateway broke
  bool retryable = false;              // broke before anything of the local request was consumed
  bool reusable = false;               // the connection can carry another request
};

bool connection_broke(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::connection_aborted;
}

template <class Stream>
asio::awaitable<void> write_message(Stream& stream, http::request_serializer<http::buffer_body>& sr, error_code& ec) {
  co_await http::async_write(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == http::error::need_buffer) ec = {};
}

// The next piece of the answer's body into `buffer` (kResponseBufferBytes):
// how many bytes arrived; ec set when the connection broke.
template <class Stream>
asio::awaitable<size_t> read_piece(Stream& stream, UpstreamConnection& conn,
                                   http::response_parser<http::buffer_body>& parser, uint8_t* buffer,
                                   std::chrono::seconds timeout, error_code& ec) {
  parser.get().body().data = buffer;
  parser.get().body().size = kResponseBufferBytes;
  conn.tcp().expires_after(timeout);
  co_await http::async_read(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == http::error::need_buffer) ec = {};
  co_return kResponseBufferBytes - parser.get().body().size;
}

// Sends the request (head, then the local body piece by piece), then
// streams the response to the local client. Local failures (the client
// left, its body broke) throw; the gateway's side is in the result. Once the
// gateway's answer is read to its end, `upstream_done(reusable)` hands the
// connection back before the last bytes go to the local client (who may send
// its next request the moment it has them): nothing here touches `stream` or
// `conn` after that call.
template <class Stream>
asio::awaitable<RelayResult> relay(Stream& stream, UpstreamConnection& conn, gateway::Exchange& ex,
                                   http::request<http::buffer_body>& req, std::chrono::seconds timeout,
                                   UpstreamStats& stats, const std::function<void(bool)>& upstream_done) {
  RelayResult result;
  const gateway::Request& local = ex.request();
  const bool has_body = local.content_length ? *local.content_length > 0 : local.chunked;
  http::request_serializer<http::buffer_body> sr(req);
  error_code ec;
  bool body_consumed = false;
  bool body_complete = !has_body;
  conn.tcp().expires_after(timeout);
  if (!has_body) {
    // A header alone (a GET, a HEAD): after idle it must not cost the
    // connection the window the next upload needs (net/send_congestion.hpp).
    net::keep_window_after_idle(conn.fd());
    req.body().data = nullptr;
    req.body().more = false;
    co_await write_message(stream, sr, ec);
  } else {
    // The congestion rule of the client's uploads: a warm connection idle
    // past its RTO keeps its window (net/send_congestion.hpp). Chosen before
    // the header goes: the kernel restarts an idle window at the first send.
    net::set_send_congestion(conn.fd(), local.content_length.value_or(kResponseBufferBytes));
    req.body().data = nullptr;
    req.body().more = true;
    co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    while (!ec) {
      const auto piece = co_await ex.read_body();
      body_consumed = true;
      req.body().data = piece.empty() ? nullptr : const_cast<uint8_t*>(piece.data());
      req.body().size = piece.size();
      req.body().more = !piece.empty();
      conn.tcp().expires_after(timeout);
      co_await write_message(stream, sr, ec);
      stats.bytes_up.fetch_add(piece.size(), std::memory_order_relaxed);
      if (piece.empty()) {
        body_complete = !ec;
        break;
      }
    }
  }
  if (ec && !body_consumed) {
    result.failure = "sending the request: " + ec.message();
    result.retryable = connection_broke(ec) || ec == beast::error::timeout;
    co_return result;
  }
  // Even when the body could not be sent the gateway may have answered
  // first (401, 413) and closed: its answer is the one to relay.
  const bool send_failed = static_cast<bool>(ec);
  const std::string send_error = ec.message();

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<uint64_t>::max());
  if (local.method == "HEAD") parser.skip(true);
  conn.tcp().expires_after(timeout);
  co_await http::async_read_header(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.failure = send_failed ? "sending the request body: " + send_error : "reading the answer: " + ec.message();
    // The request went out and no answer came: the gateway may have acted
    // on it, so only an idempotent one is sent again (RFC 9110 9.2.2); a
    // POST (create an upload, complete one) is the local client's to retry.
    result.retryable = !body_consumed && connection_broke(ec) && idempotent(local.method);
    co_return result;
  }
  const auto& head = parser.get();
  Fields upstream_fields;
  for (const auto& field : head) upstream_fields.emplace_back(field.name_string(), field.value());
  Fields fields = downstream_response_fields(upstream_fields);
  const int status = static_cast<int>(head.result_int());
  const auto length = parser.content_length();
  const bool reusable = parser.keep_alive() && !send_failed && body_complete;
  result.reusable = reusable;

  if (parser.is_done() || local.method == "HEAD") {
    upstream_done(reusable);
    co_await ex.begin_body(status, std::move(fields), length.value_or(0));
    co_await ex.end_body();
  } else if (length) {
    co_await ex.begin_body(status, std::move(fields), *length);
    const auto buffer = std::make_unique_for_overwrite<uint8_t[]>(kResponseBufferBytes);
    while (!parser.is_done()) {
      const size_t n = co_await read_piece(stream, conn, parser, buffer.get(), timeout, ec);
      stats.bytes_down.fetch_add(n, std::memory_order_relaxed);
      if (!ec && parser.is_done()) upstream_done(reusable);
      if (n > 0) co_await ex.write_body(std::span<const uint8_t>(buffer.get(), n));
      if (ec) throw Error(ErrorKind::backend_unavailable, "the gateway broke off the response: " + ec.message());
    }
    co_await ex.end_body();
  } else {
    std::string body;
    const auto buffer = std::make_unique_for_overwrite<uint8_t[]>(kResponseBufferBytes);
    while (!parser.is_done()) {
      const size_t n = co_await read_piece(stream, conn, parser, buffer.get(), timeout, ec);
      if (ec) throw Error(ErrorKind::backend_unavailable, "the gateway broke off the response: " + ec.message());
      if (body.size() + n > kUnframedResponseLimit)
        throw Error(ErrorKind::backend_unavailable, "the gateway's unframed response is too large to relay");
      body.append(reinterpret_cast<const char*>(buffer.get()), n);
    }
    stats.bytes_down.fetch_add(body.size(), std::memory_order_relaxed);
    upstream_done(reusable);
    co_await ex.respond(status, "", std::move(body), std::move(fields));
  }
  co_return result;
}

http::request<http::buffer_body> upstream_request(const gateway::Request& local, const Fields& fields) {
  http::request<http::buffer_body> req;
  req.version(11);
  req.method_string(local.method);
  req.target(local.target);
  for (const auto& [name, value] : fields) req.insert(name, value);
  if (local.content_length) {
    req.content_length(*local.content_length);
  } else if (local.chunked) {
    req.chunked(true);
  }
  req.keep_alive(true);
  return req;
}

}  // namespace

EdgeForwarder::EdgeForwarder(const EdgeConfig& config)
    : gateway_token_file_(config.gateway_token_file),
      gateway_authorization_(bearer_from_token_file(
          gateway::read_config_file(config.gateway_token_file, "gateway token file"), config.gateway_token_file)),
      body_timeout_(config.local.body_timeout),
      gateway_url_(config.gateway_url),
      warm_(config.warm_connections),
      http2_(config.upstream_http2 == UpstreamHttp2::off   ? "off"
             : config.upstream_http2 == UpstreamHttp2::h2c ? "h2c (prior knowledge)"
                                                           : "when the gateway offers it (ALPN)") {
  pool_ = std::make_unique<UpstreamPool>(
      parse_gateway_url(config.gateway_url), config.ca_file, config.warm_connections, config.connect_timeout,
      WindowWarmup{config.warm_window_bytes, [this] { return authorization(); }}, config.upstream_http2);
}

EdgeForwarder::~EdgeForwarder() = default;

void EdgeForwarder::start(boost::asio::io_context& ioc) {
  pool_->start(ioc);
}
void EdgeForwarder::stop() {
  pool_->stop();
}
void EdgeForwarder::reload() {
  std::string fresh =
      bearer_from_token_file(gateway::read_config_file(gateway_token_file_, "gateway token file"), gateway_token_file_);
  std::lock_guard lock(mutex_);
  gateway_authorization_ = std::move(fresh);
}

std::string EdgeForwarder::authorization() const {
  std::lock_guard lock(mutex_);
  return gateway_authorization_;
}

void EdgeForwarder::render_metrics(std::string& out) {
  pool_->render(out);
}

asio::awaitable<bool> EdgeForwarder::forward_h2(std::shared_ptr<H2Upstream> h2, gateway::Exchange& ex,
                                                const Fields& fields, int attempt) {
  auto& stats = pool_->stats();
  if (h2->requests.fetch_add(1, std::memory_order_relaxed) > 0) stats.reused.fetch_add(1, std::memory_order_relaxed);
  stats.h2_streams.fetch_add(1, std::memory_order_relaxed);
  H2RelayResult result;
  try {
    result = co_await relay_h2(h2, ex, fields, pool_->gateway().tls ? "https" : "http", body_timeout_, stats);
  } catch (const gateway::ConnectionLost&) {
    throw;  // the local client left
  } catch (...) {
    stats.failures.fetch_add(1, std::memory_order_relaxed);
    throw;
  }
  if (!result.failure) co_return true;
  if (result.refused) stats.h2_refused.fetch_add(1, std::memory_order_relaxed);
  // A refused stream was never processed: it may go a few times (each on
  // another connection or a new one); anything else once, as on HTTP/1.1.
  if (result.retryable && attempt < (result.refused ? 3 : 1)) {
    stats.retries.fetch_add(1, std::memory_order_relaxed);
    co_return false;
  }
  stats.failures.fetch_add(1, std::memory_order_relaxed);
  throw Error(ErrorKind::backend_unavailable, "the edge lost its connection to the gateway (" + *result.failure + ")");
}

std::string EdgeForwarder::describe() const {
  return fmt::format("gateway {} ({} warm connections, HTTP/2 {})", gateway_url_, warm_, http2_);
}

asio::awaitable<void> EdgeForwarder::forward(gateway::Exchange& ex, bool own_signature) {
  const gateway::Request& local = ex.request();
  const Fields fields =
      upstream_request_fields(local.all_headers(), own_signature ? "" : authorization(), pool_->gateway().authority);
  auto& stats = pool_->stats();
  stats.requests.fetch_add(1, std::memory_order_relaxed);
  for (int attempt = 0;; ++attempt) {
    // A stream on an HTTP/2 connection with room first; else an idle
    // HTTP/1.1 connection, else a new one (which may turn out HTTP/2).
    std::shared_ptr<H2Upstream> h2 = pool_->pick_h2();
    std::unique_ptr<UpstreamConnection> conn;
    if (!h2) {
      if (attempt == 0) {
        conn = co_await pool_->acquire();
      } else {
        conn = co_await pool_->connect();
      }
      if (conn->http2) h2 = pool_->adopt_h2(std::exchange(conn, nullptr));
    }
    if (h2) {
      const bool done = co_await forward_h2(std::move(h2), ex, fields, attempt);
      if (done) co_return;
      continue;
    }
    auto req = upstream_request(local, fields);
    if (conn->requests > 0) stats.reused.fetch_add(1, std::memory_order_relaxed);
    ++conn->requests;
    // Hands the connection back as soon as the gateway's answer is read
    // (relay calls it), or here when relay ended without calling it.
    bool given_back = false;
    const std::function<void(bool)> upstream_done = [&](bool reusable) {
      given_back = true;
      if (reusable) {
        pool_->release(std::move(conn));
      } else {
        pool_->discard(std::move(conn));
      }
    };
    RelayResult result;
    try {
      if (conn->tls()) {
        result = co_await relay(*conn->tls(), *conn, ex, req, body_timeout_, stats, upstream_done);
      } else {
        result = co_await relay(*conn->plain(), *conn, ex, req, body_timeout_, stats, upstream_done);
      }
    } catch (const gateway::ConnectionLost&) {
      // The local client left: a connection still mid-message is not reusable.
      if (!given_back) pool_->discard(std::move(conn));
      throw;
    } catch (...) {
      // The local body broke, or the answer broke mid-body (the exchange is cut).
      stats.failures.fetch_add(1, std::memory_order_relaxed);
      if (!given_back) pool_->discard(std::move(conn));
      throw;
    }
    if (!result.failure) {
      if (!given_back) upstream_done(result.reusable);
      co_return;
    }
    pool_->discard(std::move(conn));
    if (result.retryable && attempt == 0) {
      stats.retries.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    stats.failures.fetch_add(1, std::memory_order_relaxed);
    throw Error(ErrorKind::backend_unavailable,
                "the edge lost its connection to the gateway (" + *result.failure + ")");
  }
}

}  // namespace haul::edge
