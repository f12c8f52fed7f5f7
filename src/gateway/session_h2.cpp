// HTTP/2 on one connection: a reader feeds the peer's bytes into the
// session, a flusher writes what the session has to send, and each stream
// runs its handler as a coroutine of its own, all on the connection's
// strand (nghttp2 is not thread-safe; the strand is its lock).
#include "gateway/session_h2.hpp"

#include <nghttp2/nghttp2.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "gateway/blocking.hpp"
#include "gateway/exchange.hpp"
#include "gateway/h2_server.hpp"
#include "gateway/route.hpp"
#include "gateway/send_rate.hpp"
#include "gateway/serve.hpp"
#include "gateway/session_registry.hpp"
#include "net/send_congestion.hpp"

namespace haul::gateway {

namespace {

using Clock = std::chrono::steady_clock;
// Linux's TCP_RTO_MIN: a connection quiet for less was never idle past its RTO.
constexpr auto kShortestRto = std::chrono::milliseconds(200);
using ErrorCode = boost::system::error_code;

// Request bodies reach a handler in pieces of up to this much (DATA frames
// are 16 KiB; the store is written in larger steps).
constexpr size_t kBodyPiece = 256 * 1024;
// A handler's write waits while its stream has this much queued and unsent:
// what a stream holds beyond the peer's window (with --h2-max-streams 256,
// 32 MiB for a connection whose reader opened no window at all). The socket's
// send buffer, not this queue, keeps a long link busy.
constexpr size_t kQueueLimit = 128 * 1024;
// Frames written to the socket at once.
constexpr size_t kFlushBatch = 256 * 1024;
// Bytes read from the socket at once.
constexpr size_t kReadBuffer = 64 * 1024;
// No deadline on the reader while streams are open: each stream's waits
// have their own (body_timeout, the send rate).
constexpr auto kNoDeadline = std::chrono::hours(24 * 365);

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

class H2Connection;

h2::H2Limits limits_for(const GatewayConfig& config) {
  h2::H2Limits limits = config.h2;
  limits.header_list_limit = config.header_limit;  // as on HTTP/1.1
  return limits;
}

// One stream: the request's body as it arrives, the response as the handler
// writes it. Lives as long as either its handler or its place in the
// connection's stream map needs it.
class H2Exchange final : public Exchange {
 public:
  H2Exchange(std::shared_ptr<H2Connection> conn, h2::H2Request head, const Peer& peer);

  const Request& request() const override { return request_; }
  asio::awaitable<void> invite_body() override;
  asio::awaitable<std::span<const uint8_t>> read_body() override;
  asio::awaitable<void> respond(int status, std::string content_type, std::string body, Headers headers) override;
  asio::awaitable<void> begin_body(int status, Headers headers, uint64_t content_length) override;
  asio::awaitable<void> write_body(std::span<const uint8_t> bytes) override;
  asio::awaitable<void> end_body() override;
  asio::awaitable<void> blocking(std::function<void()> fn) override;
  bool response_started() const override { return started_; }
  void cut() override;
  int native_socket() override;

  // From the connection (events of the session).
  void body_arrived(std::span<const uint8_t> bytes);
  void body_ended() {
    body_ended_ = true;
    wake();
  }
  void closed(uint32_t error_code);
  void response_sent() {
    response_sent_ = true;
    wake();
  }
  void wake() { wake_.cancel(); }

  // After the handler: what the stream still needs before it can go.
  asio::awaitable<void> finish();

  int32_t id() const { return id_; }
  bool header_too_large() const { return header_too_large_; }
  int status() const { return status_; }
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }
  bool lost() const { return closed_with_error_ || cut_; }

 private:
  // Waits for wake() or the deadline; false when the deadline passed.
  asio::awaitable<bool> wait_until(Clock::time_point deadline);
  void give_back();  // returns the request-body window of what was handed out

  std::shared_ptr<H2Connection> conn_;
  int32_t id_;
  h2::HeaderList fields_;
  Request request_;
  bool header_too_large_;
  asio::steady_timer wake_;

  // The request body.
  std::deque<std::vector<uint8_t>> inbound_;
  size_t inbound_front_offset_ = 0;
  size_t handed_ = 0;           // bytes the last read_body returned, given back at the next
  std::vector<uint8_t> piece_;  // what read_body hands out
  bool body_ended_;
  bool discarding_ = false;  // the handler is done: what still comes is dropped

  // The stream.
  bool closed_ = false;
  bool closed_with_error_ = false;
  bool response_sent_ = false;

  // The response.
  bool head_request_;
  bool invited_ = false;
  bool started_ = false;
  bool cut_ = false;
  int status_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  uint64_t body_left_ = 0;
  std::optional<SendRateGuard> rate_;
};

class H2Connection final : public h2::H2Events, public std::enable_shared_from_this<H2Connection> {
 public:
  H2Connection(GatewayContext& context, BlockingPools& blocking_pools, SessionRegistry& sessions,
               H2Transport& transport, Peer peer, uint64_t connection)
      : ctx(context),
        pools(blocking_pools),
        registry(sessions),
        io(transport),
        session(limits_for(context.config), *this),
        peer_(std::move(peer)),
        connection_(connection),
        settled_(transport.executor()) {}

  GatewayContext& ctx;
  BlockingPools& pools;
  SessionRegistry& registry;
  H2Transport& io;
  h2::H2ServerSession session;
  bool dead = false;  // the transport failed or was closed: nothing more goes out

  asio::awaitable<bool> run(std::span<const uint8_t> already_read, uint64_t& served);

  void schedule_flush() {
    if (flushing_ || dead) return;
    flushing_ = true;
    asio::co_spawn(io.executor(), flush(shared_from_this()), asio::detached);
  }

  // h2::H2Events
  void on_request(h2::H2Request request) override;
  void on_body(int32_t stream, std::span<const uint8_t> bytes) override {
    if (auto it = streams_.find(stream); it != streams_.end()) {
      it->second->body_arrived(bytes);
    } else {
      session.consume(stream, bytes.size());
    }
  }
  void on_body_end(int32_t stream) override {
    if (auto it = streams_.find(stream); it != streams_.end()) it->second->body_ended();
  }
  void on_stream_closed(int32_t stream, uint32_t error_code) override {
    auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    it->second->closed(error_code);
    streams_.erase(it);
    settled_.cancel();
    went_quiet();
  }
  void on_body_sent(int32_t stream) override {
    if (auto it = streams_.find(stream); it != streams_.end()) it->second->wake();
  }
  void on_response_sent(int32_t stream) override {
    if (auto it = streams_.find(stream); it != streams_.end()) it->second->response_sent();
  }

 private:
  // After a stream or its handler ends: with none left the connection is
  // idle (shutdown or the connection limit may close it), and when shutdown
  // came while it was busy, the reader (waiting on a quiet client) is woken
  // so GOAWAY goes out now, not at the hard stop.
  void went_quiet() {
    if (handlers_ != 0 || !streams_.empty()) return;
    io.set_idle(true);
    if (registry.stopping()) io.stop_reading();
  }
  static asio::awaitable<void> flush(std::shared_ptr<H2Connection> self);
  static asio::awaitable<void> run_stream(std::shared_ptr<H2Connection> self, std::shared_ptr<H2Exchange> ex);
  // Waits until `done` holds; woken whenever a stream or the flusher ends.
  asio::awaitable<void> settle(std::function<bool()> done);

  Peer peer_;
  uint64_t connection_;
  std::map<int32_t, std::shared_ptr<H2Exchange>> streams_;
  size_t handlers_ = 0;  // stream coroutines still running
  uint64_t* served_ = nullptr;
  bool flushing_ = false;
  Clock::time_point last_flush_ = Clock::now();  // when the flusher last ended
  asio::steady_timer settled_;                   // cancelled when a handler or the flusher ends
};

// ---- H2Exchange

H2Exchange::H2Exchange(std::shared_ptr<H2Connection> conn, h2::H2Request head, const Peer& peer)
    : conn_(std::move(conn)),
      id_(head.stream),
      fields_(std::move(head.fields)),
      header_too_large_(head.header_too_large),
      wake_(conn_->io.executor()),
      body_ended_(head.end_stream),
      head_request_(head.method == "HEAD") {
  request_.method = std::move(head.method);
  request_.target = std::move(head.path);
  request_.peer = peer;
  for (const auto& [name, value] : fields_) {
    if (name != "content-length") continue;
    uint64_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec == std::errc() && end == value.data() + value.size()) request_.content_length = length;
  }
  // A request without a body (END_STREAM on its header) has length 0, as
  // an HTTP/1.1 request without Content-Length; one with a body and no
  // content-length streams it until END_STREAM, as chunked framing does.
  if (body_ended_ && !request_.content_length) request_.content_length = 0;
  request_.chunked = !request_.content_length;
  request_.header = [this](std::string_view name) {
    for (const auto& [n, v] : fields_) {
      if (iequals(n, name)) return v;
    }
    return std::string();
  };
  request_.all_headers = [this] { return Headers(fields_.begin(), fields_.end()); };
}

asio::awaitable<bool> H2Exchange::wait_until(Clock::time_point deadline) {
  ErrorCode ec;
  wake_.expires_at(deadline);
  co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return ec == asio::error::operation_aborted;
}

asio::awaitable<void> H2Exchange::invite_body() {
  if (invited_ || body_ended_ || !iequals(request_.header("expect"), "100-continue")) co_return;
  invited_ = true;
  conn_->session.informational(id_, 100);
  conn_->schedule_flush();
}

void H2Exchange::body_arrived(std::span<const uint8_t> bytes) {
  if (discarding_ || closed_) {
    conn_->session.consume(id_, bytes.size());
    return;
  }
  inbound_.emplace_back(bytes.begin(), bytes.end());
  wake();
}

void H2Exchange::give_back() {
  if (handed_ == 0) return;
  conn_->session.consume(id_, handed_);
  handed_ = 0;
  conn_->schedule_flush();  // the WINDOW_UPDATE
}

asio::awaitable<std::span<const uint8_t>> H2Exchange::read_body() {
  invited_ = true;
  give_back();
  for (;;) {
    if (!inbound_.empty()) {
      // As large as what has arrived, up to kBodyPiece: a stream holds no
      // more memory than its peer has sent (a 4 KiB upload, 4 KiB).
      size_t arrived = 0;
      for (const auto& chunk : inbound_) arrived += chunk.size();
      arrived -= inbound_front_offset_;
      if (piece_.size() < std::min(arrived, kBodyPiece)) piece_.resize(std::min(arrived, kBodyPiece));
      size_t n = 0;
      while (n < piece_.size() && !inbound_.empty()) {
        auto& front = inbound_.front();
        const size_t take = std::min(piece_.size() - n, front.size() - inbound_front_offset_);
        std::copy_n(front.data() + inbound_front_offset_, take, piece_.data() + n);
        n += take;
        inbound_front_offset_ += take;
        if (inbound_front_offset_ == front.size()) {
          inbound_.pop_front();
          inbound_front_offset_ = 0;
        }
      }
      handed_ = n;
      bytes_in_ += n;
      conn_->ctx.metrics.bytes_received.fetch_add(n, std::memory_order_relaxed);
      co_return std::span<const uint8_t>(piece_.data(), n);
    }
    if (body_ended_) co_return std::span<const uint8_t>{};
    if (closed_ || conn_->dead) throw Error(ErrorKind::bad_request, "request body incomplete: the stream was reset");
    if (!co_await wait_until(Clock::now() + conn_->ctx.config.body_timeout)) {
      throw Error(ErrorKind::bad_request, "request body incomplete: no data within the body timeout");
    }
  }
}

void H2Exchange::closed(uint32_t error_code) {
  closed_ = true;
  closed_with_error_ = error_code != NGHTTP2_NO_ERROR;
  // Whatever the handler had not taken goes back to the connection window.
  size_t held = handed_;
  for (const auto& chunk : inbound_) held += chunk.size();
  held -= inbound_front_offset_;
  if (held > 0) conn_->session.consume(id_, held);
  handed_ = 0;
  inbound_.clear();
  inbound_front_offset_ = 0;
  wake();
}

asio::awaitable<void> H2Exchange::respond(int status, std::string content_type, std::string body, Headers headers) {
  if (closed_ || conn_->dead) throw ConnectionLost();
  status_ = status;
  started_ = true;
  if (!content_type.empty()) headers.emplace_back("content-type", std::move(content_type));
  headers.emplace_back("content-length", std::to_string(body.size()));
  const bool with_body = !head_request_ && !body.empty();
  conn_->session.respond(id_, status, headers, with_body);
  if (with_body) {
    conn_->session.queue_body(id_,
                              std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
    conn_->session.end_body(id_);
    bytes_out_ += body.size();
    conn_->ctx.metrics.bytes_sent.fetch_add(body.size(), std::memory_order_relaxed);
  }
  conn_->schedule_flush();
  co_return;
}

asio::awaitable<void> H2Exchange::begin_body(int status, Headers headers, uint64_t content_length) {
  if (closed_ || conn_->dead) throw ConnectionLost();
  status_ = status;
  started_ = true;
  headers.emplace_back("content-length", std::to_string(content_length));
  const bool with_body = !head_request_ && content_length > 0;
  conn_->session.respond(id_, status, headers, with_body);
  if (with_body) {
    body_left_ = content_length;
    rate_.emplace(conn_->ctx.config.send_rate, content_length);
    // Congestion control per download body, as on HTTP/1.1 (docs/client.md):
    // the connection is shared, so the body that starts last decides.
    if (conn_->ctx.config.congestion == net::congestion_auto)
      net::set_send_congestion(conn_->io.native_socket(), content_length);
  }
  conn_->schedule_flush();
  co_return;
}

asio::awaitable<void> H2Exchange::write_body(std::span<const uint8_t> bytes) {
  if (cut_ || closed_ || conn_->dead) throw ConnectionLost();
  if (head_request_ || bytes.empty()) co_return;
  if (bytes.size() > body_left_) throw Error(ErrorKind::internal, "response body longer than its Content-Length");
  // Room first: a reader slower than the store holds this coroutine, not
  // memory. The wait counts as send time for the minimum rate, as a socket
  // write would on HTTP/1.1.
  while (conn_->session.queued(id_) >= kQueueLimit) {
    const auto now = Clock::now();
    const auto rate_deadline = rate_->write_started(now);
    const auto pause_deadline = now + conn_->ctx.config.body_timeout;
    const size_t before = conn_->session.queued(id_);
    const bool woken = co_await wait_until(std::min(rate_deadline, pause_deadline));
    if (closed_ || conn_->dead) {
      cut_ = true;
      conn_->ctx.metrics.count_cut(CutReason::peer_gone);
      throw ConnectionLost();
    }
    const size_t after = conn_->session.queued(id_);
    rate_->written(Clock::now(), before > after ? before - after : 0);
    if (!woken) {
      conn_->ctx.metrics.count_cut(rate_deadline <= pause_deadline ? CutReason::slow_reader : CutReason::send_timeout);
      cut();
      throw ConnectionLost();
    }
  }
  conn_->session.queue_body(id_, bytes);
  body_left_ -= bytes.size();
  bytes_out_ += bytes.size();
  conn_->ctx.metrics.bytes_sent.fetch_add(bytes.size(), std::memory_order_relaxed);
  conn_->schedule_flush();
}

asio::awaitable<void> H2Exchange::end_body() {
  if (cut_ || closed_ || conn_->dead) throw ConnectionLost();
  if (head_request_) co_return;
  if (body_left_ != 0) throw Error(ErrorKind::internal, "response body shorter than its Content-Length");
  conn_->session.end_body(id_);
  conn_->schedule_flush();
}

asio::awaitable<void> H2Exchange::blocking(std::function<void()> fn) {
  co_await run_blocking(conn_->pools.steps, std::move(fn));
}

void H2Exchange::cut() {
  if (cut_) return;
  cut_ = true;
  if (!closed_) {
    // The client sees a reset stream, never a short body that looks whole.
    conn_->session.reset(id_, NGHTTP2_INTERNAL_ERROR);
    conn_->schedule_flush();
  }
}

int H2Exchange::native_socket() {
  return conn_->io.native_socket();
}

asio::awaitable<void> H2Exchange::finish() {
  // A handler that answered before the body's end (an error, a refusal):
  // what still comes is given back and dropped, and once the response is
  // out the rest of the upload is refused with RST_STREAM(NO_ERROR), as
  // RFC 9113 8.1 allows, instead of reading it all.
  discarding_ = true;
  give_back();
  size_t held = 0;
  for (const auto& chunk : inbound_) held += chunk.size();
  held -= inbound_front_offset_;
  if (held > 0) conn_->session.consume(id_, held);
  inbound_.clear();
  inbound_front_offset_ = 0;
  conn_->schedule_flush();
  if (closed_ || cut_ || body_ended_) co_return;
  const auto deadline = Clock::now() + conn_->ctx.config.body_timeout;
  while (!closed_ && !response_sent_ && !conn_->dead) {
    if (!co_await wait_until(deadline)) break;
  }
  if (!closed_ && !conn_->dead) {
    conn_->session.reset(id_, NGHTTP2_NO_ERROR);
    conn_->schedule_flush();
  }
}

// ---- H2Connection

void H2Connection::on_request(h2::H2Request request) {
  auto ex = std::make_shared<H2Exchange>(shared_from_this(), std::move(request), peer_);
  streams_[ex->id()] = ex;
  ++handlers_;
  io.set_idle(false);
  ctx.metrics.h2_streams.fetch_add(1, std::memory_order_relaxed);
  ctx.metrics.h2_streams_open.fetch_add(1, std::memory_order_relaxed);
  // Posted: the handler must not run inside nghttp2's callback.
  asio::post(io.executor(), [self = shared_from_this(), ex = std::move(ex)]() mutable {
    asio::co_spawn(self->io.executor(), run_stream(self, std::move(ex)), asio::detached);
  });
}

asio::awaitable<void> H2Connection::flush(std::shared_ptr<H2Connection> self) {
  // Whatever goes first after idle (an answer's HEADERS, a WINDOW_UPDATE for
  // an upload, a SETTINGS ack) must not cost the connection its window: a
  // download body chose its algorithm already in begin_body, and bbr in
  // force is left alone (net/send_congestion.hpp, keep_window_after_idle).
  // Read TCP_INFO only after a pause that could reach the RTO (Linux's
  // minimum is 200 ms): no extra syscall per flush while a transfer runs.
  if (self->ctx.config.congestion == net::congestion_auto && Clock::now() - self->last_flush_ >= kShortestRto)
    net::keep_window_after_idle(self->io.native_socket());
  std::vector<uint8_t> out;
  while (!self->dead) {
    out.clear();
    self->session.take_output(out, kFlushBatch);
    if (out.empty()) break;
    const ErrorCode ec = co_await self->io.write(out, self->ctx.config.body_timeout);
    if (ec) {
      self->dead = true;
      self->io.cancel();
    }
  }
  self->flushing_ = false;
  self->last_flush_ = Clock::now();
  self->settled_.cancel();
}

asio::awaitable<void> H2Connection::run_stream(std::shared_ptr<H2Connection> self, std::shared_ptr<H2Exchange> ex) {
  const auto started = Clock::now();
  std::optional<int> failure;
  try {
    if (ex->header_too_large()) {
      co_await ex->respond(431, "application/json",
                           error_json("headers_too_large", "request header block over the limit"), {});
    } else {
      const Route route = parse_route(ex->request().target);
      const Served outcome = co_await serve_request(self->ctx, *ex, route, self->connection_);
      failure = outcome.failure_status;
    }
    co_await ex->finish();
  } catch (const std::exception&) {
    // The connection went away under the stream (ConnectionLost): nothing
    // more to say; it is logged below as cut.
    ex->cut();
  }
  const int status = failure.value_or(ex->status());
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  account_request(self->ctx, self->connection_, ex->request(), status, ex->status(), ex->bytes_in(), ex->bytes_out(),
                  seconds, ex->lost());
  self->ctx.metrics.h2_streams_open.fetch_sub(1, std::memory_order_relaxed);
  if (self->served_) ++*self->served_;
  --self->handlers_;
  self->went_quiet();
  self->settled_.cancel();
}

asio::awaitable<void> H2Connection::settle(std::function<bool()> done) {
  while (!done()) {
    ErrorCode ec;
    settled_.expires_after(std::chrono::seconds(1));
    co_await settled_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<bool> H2Connection::run(std::span<const uint8_t> already_read, uint64_t& served) {
  served_ = &served;
  ctx.metrics.count_connection_protocol("h2");
  bool clean = true;
  bool going_away = false;
  std::vector<uint8_t> buffer(kReadBuffer);
  std::span<const uint8_t> input = already_read;
  for (;;) {
    if (!input.empty()) {
      const bool ok = session.receive(input);
      schedule_flush();
      if (!ok) {
        ctx.metrics.count_h2_abuse(h2::abuse_name(session.abuse()));
        break;  // GOAWAY is queued: flushed below, then a clean close
      }
    }
    if (!session.want_read() && !session.want_write()) break;
    const bool idle = handlers_ == 0 && streams_.empty();
    if (registry.stopping() && !going_away) {
      // Shutdown: GOAWAY, streams in progress finish, no new ones start.
      going_away = true;
      session.shut_down();
      schedule_flush();
    }
    if (going_away && idle) break;
    io.set_idle(idle);
    // A header block under way (HEADERS without its last CONTINUATION) has
    // the header timeout, as an HTTP/1.1 request head does: a slow one never
    // holds the connection for the idle timeout.
    const bool header_pending = session.open_streams() > streams_.size();
    using std::chrono::duration_cast;
    const auto timeout = header_pending ? duration_cast<Clock::duration>(ctx.config.header_timeout)
                         : !idle        ? duration_cast<Clock::duration>(kNoDeadline)
                         : served == 0  ? duration_cast<Clock::duration>(ctx.config.first_byte_timeout)
                                        : duration_cast<Clock::duration>(ctx.config.idle_timeout);
    auto [ec, n] = co_await io.read_some(buffer, timeout);
    if (ec) {
      // The peer left, the idle timeout, or the registry closed an idle
      // connection (shutdown, the connection limit): say GOAWAY if the
      // transport still carries it.
      if (ec != asio::error::eof && ec != asio::error::operation_aborted && ec != asio::error::timed_out) {
        clean = false;
      }
      break;
    }
    input = std::span<const uint8_t>(buffer.data(), n);
  }

  // Every stream ends: their waits see the connection gone, handlers finish.
  for (auto& [id, ex] : streams_) ex->closed(NGHTTP2_CANCEL);
  streams_.clear();
  if (!dead && session.abuse() == h2::Abuse::none) session.shut_down();
  schedule_flush();
  co_await settle([this] { return handlers_ == 0 && !flushing_; });
  const bool transport_ok = clean && !dead;
  dead = true;
  co_return transport_ok;
}

// Answers every request 503: the gateway is at its connection limit.
class Refuser final : public h2::H2Events {
 public:
  h2::H2ServerSession* session = nullptr;
  size_t answered = 0;
  void on_request(h2::H2Request request) override {
    static const std::string body = error_json("too_many_connections", "connection limit reached, retry later");
    session->respond(
        request.stream, 503,
        {{"content-type", "application/json"}, {"retry-after", "1"}, {"content-length", std::to_string(body.size())}},
        true);
    session->queue_body(request.stream,
                        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
    session->end_body(request.stream);
    ++answered;
  }
  void on_body(int32_t stream, std::span<const uint8_t> bytes) override { session->consume(stream, bytes.size()); }
  void on_body_end(int32_t) override {}
  void on_stream_closed(int32_t, uint32_t) override {}
  void on_body_sent(int32_t) override {}
  void on_response_sent(int32_t) override {}
};

}  // namespace

asio::awaitable<void> refuse_http2(H2Transport& io) {
  Refuser events;
  h2::H2ServerSession session(h2::H2Limits{}, events);
  events.session = &session;
  std::vector<uint8_t> buffer(kReadBuffer);
  std::vector<uint8_t> out;
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  bool done = false;
  while (!done && Clock::now() < deadline) {
    auto [ec, n] = co_await io.read_some(buffer, deadline - Clock::now());
    if (ec) break;
    const bool ok = session.receive(std::span<const uint8_t>(buffer.data(), n));
    done = !ok || events.answered > 0;
    if (done && ok) session.shut_down();
    out.clear();
    session.take_output(out, 1u << 20);
    if (!out.empty() && co_await io.write(out, std::chrono::seconds(2))) break;
  }
}

asio::awaitable<bool> serve_http2(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry, H2Transport& io,
                                  std::span<const uint8_t> already_read, Peer peer, uint64_t connection,
                                  uint64_t& served) {
  auto conn = std::make_shared<H2Connection>(ctx, pools, registry, io, std::move(peer), connection);
  co_return co_await conn->run(already_read, served);
}

}  // namespace haul::gateway
