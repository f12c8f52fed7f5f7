#include "edge/h2_upstream.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "edge/upstream.hpp"
#include "net/send_congestion.hpp"

namespace haul::edge {

namespace {

using error_code = boost::system::error_code;

// Bytes read from the socket at once, and frames written at once.
constexpr size_t kReadBuffer = 64 * 1024;
constexpr size_t kFlushBatch = 256 * 1024;

// What simple() uploads. Not a static local of the coroutine: GCC 12 put
// one into the coroutine's frame, which then overran (seen as a corrupted
// frame at the next co_await).
const std::array<uint8_t, 64 * 1024> kZeros{};

}  // namespace

H2Upstream::H2Upstream(std::unique_ptr<UpstreamConnection> conn, const h2::H2ClientLimits& limits,
                       std::function<void(H2Upstream&)> on_gone)
    : conn_(std::move(conn)),
      executor_(conn_->tcp().get_executor()),
      session_(limits, *this),
      on_gone_(std::move(on_gone)),
      fd_(conn_->fd()) {
  max_streams_.store(session_.max_streams(), std::memory_order_relaxed);
}

H2Upstream::~H2Upstream() = default;

void H2Upstream::start() {
  asio::co_spawn(executor_, run(shared_from_this()), asio::detached);
}

void H2Upstream::stop() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->dead_ || self->stopping_) return;
    self->stopping_ = true;
    self->session_.shut_down();
    self->update_counters();
    self->schedule_flush();  // GOAWAY, then the close once no stream is left
  });
}

void H2Upstream::update_counters() {
  active_.store(streams_.size(), std::memory_order_relaxed);
  max_streams_.store(session_.max_streams(), std::memory_order_relaxed);
  usable_.store(!dead_ && !stopping_ && !session_.goaway(), std::memory_order_relaxed);
}

void H2Upstream::schedule_flush() {
  if (flushing_ || dead_) return;
  flushing_ = true;
  // Posted: co_spawn starts the flusher at once, inside whatever coroutine
  // of this connection called here (Boost 1.74's launch() pumps inline).
  asio::post(executor_, [self = shared_from_this()] { asio::co_spawn(self->executor_, flush(self), asio::detached); });
}

void H2Upstream::close_if_done() {
  if (!stopping_ || !streams_.empty()) return;
  error_code ignored;
  conn_->tcp().socket().close(ignored);  // the reader ends
}

asio::awaitable<void> H2Upstream::flush(std::shared_ptr<H2Upstream> self) {
  std::vector<uint8_t> out;
  while (!self->dead_) {
    out.clear();
    self->session_.take_output(out, kFlushBatch);
    if (out.empty()) break;
    error_code ec;
    if (self->conn_->tls()) {
      co_await asio::async_write(*self->conn_->tls(), asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(*self->conn_->plain(), asio::buffer(out),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      self->dead_ = true;
      error_code ignored;
      self->conn_->tcp().socket().close(ignored);
    }
  }
  self->flushing_ = false;
  self->close_if_done();
}

asio::awaitable<void> H2Upstream::run(std::shared_ptr<H2Upstream> self) {
  std::vector<uint8_t> buffer(kReadBuffer);
  self->schedule_flush();  // the preface and our SETTINGS
  while (!self->dead_) {
    error_code ec;
    size_t n = 0;
    if (self->conn_->tls()) {
      n = co_await self->conn_->tls()->async_read_some(asio::buffer(buffer),
                                                       asio::redirect_error(asio::use_awaitable, ec));
    } else {
      n = co_await self->conn_->plain()->async_read_some(asio::buffer(buffer),
                                                         asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) break;  // EOF (the gateway closed it), a reset, or stop()'s close
    self->received_ += n;
    const bool ok = self->session_.receive(std::span<const uint8_t>(buffer.data(), n));
    self->update_counters();
    self->schedule_flush();
    if (!ok) break;
    if (!self->session_.want_read() && !self->session_.want_write()) break;
  }
  // Every stream still open ends: its relay sees the connection gone.
  self->dead_ = true;
  error_code ignored;
  self->conn_->tcp().socket().close(ignored);
  auto streams = std::move(self->streams_);
  self->streams_.clear();
  for (auto& [id, stream] : streams) {
    if (!stream->closed) {
      stream->closed = true;
      stream->code = h2::kCancel;
    }
    stream->wake.cancel();
  }
  self->update_counters();
  if (self->on_gone_) self->on_gone_(*self);
}

std::shared_ptr<H2Upstream::Stream> H2Upstream::open(const h2::H2RequestHead& head, bool has_body,
                                                     uint64_t body_bytes) {
  if (dead_ || stopping_ || !session_.can_submit()) return nullptr;
  if (has_body) {
    const bool burst_in_flight = std::any_of(streams_.begin(), streams_.end(), [](const auto& entry) {
      return entry.second->sending && !entry.second->closed;
    });
    if (!burst_in_flight) net::set_send_congestion(fd_, body_bytes);
  } else {
    // HEADERS alone after idle must not cost the window (net/send_congestion.hpp).
    net::keep_window_after_idle(fd_);
  }
  const int32_t id = session_.submit(head, has_body);
  if (id < 0) return nullptr;
  auto stream = std::make_shared<Stream>(executor_);
  stream->id = id;
  stream->sending = has_body;
  streams_[id] = stream;
  started_.fetch_add(1, std::memory_order_relaxed);
  update_counters();
  schedule_flush();
  return stream;
}

asio::awaitable<bool> H2Upstream::wait(Stream* stream, Deadline deadline) {
  error_code ec;
  stream->wake.expires_at(Clock::time_point(Clock::duration(deadline)));
  co_await stream->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return ec == asio::error::operation_aborted;
}

asio::awaitable<bool> H2Upstream::send(std::shared_ptr<H2Upstream> self, Stream* stream, const uint8_t* data,
                                       size_t size, Deadline deadline) {
  // Room first: a gateway slower than the local client holds the relay,
  // not memory.
  for (;;) {
    if (stream->closed || stream->ended || self->dead_) co_return false;
    if (self->session_.queued(stream->id) < kQueueLimit) break;
    const bool woken = co_await wait(stream, deadline);
    if (!woken) {
      self->probe_liveness();
      co_return false;
    }
  }
  self->session_.queue_body(stream->id, std::span<const uint8_t>(data, size));
  self->schedule_flush();
  co_return true;
}

void H2Upstream::end_body(const std::shared_ptr<Stream>& stream) {
  stream->sending = false;
  if (stream->closed || dead_) return;
  session_.end_body(stream->id);
  schedule_flush();
}

asio::awaitable<void> H2Upstream::await_response(std::shared_ptr<H2Upstream> self, Stream* stream, Deadline deadline) {
  while (stream->status == 0 && !stream->closed && !self->dead_) {
    const bool woken = co_await wait(stream, deadline);
    if (!woken) {
      self->probe_liveness();
      break;
    }
  }
  co_return;
}

asio::awaitable<H2Upstream::Piece> H2Upstream::read(std::shared_ptr<H2Upstream> self, Stream* stream, size_t max,
                                                    Deadline deadline) {
  Piece piece;
  for (;;) {
    if (!stream->data.empty()) {
      while (!stream->data.empty() && piece.bytes.size() < max) {
        auto& front = stream->data.front();
        const size_t take = std::min(max - piece.bytes.size(), front.size() - stream->data_front);
        piece.bytes.insert(piece.bytes.end(), front.begin() + static_cast<std::ptrdiff_t>(stream->data_front),
                           front.begin() + static_cast<std::ptrdiff_t>(stream->data_front + take));
        stream->data_front += take;
        if (stream->data_front == front.size()) {
          stream->data.pop_front();
          stream->data_front = 0;
        }
      }
      // Handed to the local client: the gateway may send that much more.
      self->session_.consume(stream->id, piece.bytes.size());
      self->schedule_flush();
      co_return piece;
    }
    if (stream->ended) {
      piece.done = true;
      co_return piece;
    }
    if (stream->closed) {
      piece.failure = fmt::format("the gateway reset the stream (HTTP/2 error {})", stream->code);
      if (self->dead_) piece.failure = "the connection to the gateway was lost";
      co_return piece;
    }
    const bool woken = co_await wait(stream, deadline);
    if (!woken) {
      self->probe_liveness();
      piece.failure = "no data from the gateway within the body timeout";
      co_return piece;
    }
  }
}

void H2Upstream::probe_liveness() {
  if (dead_ || probing_) return;
  probing_ = true;
  session_.ping();
  schedule_flush();
  asio::co_spawn(executor_, await_ping(shared_from_this(), received_), asio::detached);
}

asio::awaitable<void> H2Upstream::await_ping(std::shared_ptr<H2Upstream> self, uint64_t received_before) {
  asio::steady_timer timer(self->executor_, kPingTimeout);
  error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  self->probing_ = false;
  // Any byte from the gateway says it is alive, the PING's answer or not:
  // on a slow path the PING may wait behind a full send buffer of upload
  // bytes, while the gateway's WINDOW_UPDATEs for them still arrive.
  if (self->dead_ || self->received_ != received_before) co_return;
  // No answer: nothing more goes out, and the reader ends (run() closes
  // the streams still open and tells the pool, which opens a replacement).
  self->gave_up_.store(true, std::memory_order_relaxed);
  self->dead_ = true;
  self->update_counters();
  error_code ignored_close;
  self->conn_->tcp().socket().close(ignored_close);
}

void H2Upstream::cancel(const std::shared_ptr<Stream>& stream, uint32_t code) {
  if (stream->closed || dead_) return;
  session_.reset(stream->id, code);
  schedule_flush();
}

asio::awaitable<int> H2Upstream::simple(std::shared_ptr<H2Upstream> self, h2::H2RequestHead head, uint64_t upload,
                                        int64_t timeout_seconds) {
  auto stream = self->open(head, upload > 0, upload);
  if (!stream) co_return 0;
  const Deadline deadline = deadline_in(std::chrono::seconds(timeout_seconds));
  if (upload > 0) {
    for (uint64_t sent = 0; sent < upload;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kZeros.size(), upload - sent));
      const bool more = co_await send(self, stream.get(), kZeros.data(), n, deadline);
      if (!more) break;
      sent += n;
    }
    self->end_body(stream);
  }
  co_await await_response(self, stream.get(), deadline);
  int status = stream->status;
  for (;;) {
    const Piece piece = co_await read(self, stream.get(), 1u << 20, deadline);
    if (piece.failure) {
      status = 0;
      break;
    }
    if (piece.done) break;
  }
  self->cancel(stream, h2::kCancel);
  co_return status;
}

void H2Upstream::on_response(int32_t id, int status, h2::HeaderList fields) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  it->second->status = status;
  it->second->fields = std::move(fields);
  it->second->wake.cancel();
}

void H2Upstream::on_data(int32_t id, std::span<const uint8_t> bytes) {
  auto it = streams_.find(id);
  if (it == streams_.end() || bytes.empty()) return;  // (an empty piece means the end to a relay)
  it->second->data.emplace_back(bytes.begin(), bytes.end());
  it->second->wake.cancel();
}

void H2Upstream::on_response_end(int32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  it->second->ended = true;
  it->second->wake.cancel();
}

void H2Upstream::on_stream_closed(int32_t id, uint32_t error_code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  it->second->closed = true;
  it->second->code = error_code;
  it->second->wake.cancel();
  streams_.erase(it);
  update_counters();
  if (stopping_) schedule_flush();  // closes the connection after the last one
}

void H2Upstream::on_body_sent(int32_t id) {
  if (auto it = streams_.find(id); it != streams_.end()) it->second->wake.cancel();
}

void H2Upstream::on_goaway(int32_t, uint32_t) {
  // No new streams here; the pool opens a replacement when this one ends.
  update_counters();
}

}  // namespace haul::edge
