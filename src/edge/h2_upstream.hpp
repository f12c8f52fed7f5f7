#pragma once
// One HTTP/2 connection from the edge to the gateway: the Asio glue around
// the sans-IO client session (h2_client.hpp). Local requests ride on it as
// streams, many at once.
//
// Everything that touches the session runs on the connection's strand: a
// reader feeds the gateway's bytes in, a flusher writes what the session has
// to send, and the relays (h2_relay.cpp) call the stream operations below
// through co_spawn on that strand (`executor()`), so nghttp2 never sees two
// threads. The counters a pool reads from any thread (active, usable) are
// atomics.
//
// The connection ends when the gateway closes it (EOF, GOAWAY once its
// streams are done, a protocol error) or the pool stops it: streams still
// open see it as closed with CANCEL, and `on_gone` tells the pool, which
// opens a replacement in the background.

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "edge/h2_client.hpp"

namespace haul::edge {

class UpstreamConnection;

class H2Upstream : public h2::H2ClientEvents, public std::enable_shared_from_this<H2Upstream> {
 public:
  using Clock = std::chrono::steady_clock;
  // A deadline as the coroutines below take it: nanoseconds of Clock's
  // epoch (see the note on them).
  using Deadline = int64_t;
  static Deadline deadline_in(std::chrono::nanoseconds from_now) {
    return (Clock::now() + from_now).time_since_epoch().count();
  }

  // One request's stream, as its relay sees it. Touched on the strand only.
  struct Stream {
    explicit Stream(const boost::asio::any_io_executor& executor) : wake(executor) {}
    int32_t id = 0;
    int status = 0;  // 0 until the response header arrived
    h2::HeaderList fields;
    std::deque<std::vector<uint8_t>> data;  // response bytes not yet taken
    size_t data_front = 0;                  // bytes of data.front() already taken
    bool ended = false;                     // the response's END_STREAM arrived
    bool closed = false;
    bool sending = false;  // it has a request body that has not ended
    uint32_t code = 0;     // RST_STREAM / close code once closed
    boost::asio::steady_timer wake;
  };

  // What a relay's read of the response body got.
  struct Piece {
    std::vector<uint8_t> bytes;          // empty with `done` at the end
    bool done = false;                   // the response ended
    std::optional<std::string> failure;  // the stream broke (reset, connection lost, timeout)
  };

  // Takes a connected (TLS: ALPN chose h2) connection. `on_gone` runs once,
  // on the strand, when the connection has ended.
  H2Upstream(std::unique_ptr<UpstreamConnection> conn, const h2::H2ClientLimits& limits,
             std::function<void(H2Upstream&)> on_gone);
  ~H2Upstream() override;
  H2Upstream(const H2Upstream&) = delete;
  H2Upstream& operator=(const H2Upstream&) = delete;

  // Starts the reader (and sends the connection preface).
  void start();
  // GOAWAY: streams in progress finish, then the connection closes. Any thread.
  void stop();
  const boost::asio::any_io_executor& executor() const { return executor_; }

  // Any thread: streams open now, and whether another may start (a snapshot:
  // open() decides on the strand).
  size_t active() const { return active_.load(std::memory_order_relaxed); }
  bool has_room() const {
    return usable_.load(std::memory_order_relaxed) && active() < max_streams_.load(std::memory_order_relaxed);
  }
  bool usable() const { return usable_.load(std::memory_order_relaxed); }
  uint64_t streams_started() const { return started_.load(std::memory_order_relaxed); }
  int fd() const { return fd_; }
  // Local requests relayed on it (the forwarder counts; "reused" after the first).
  std::atomic<uint64_t> requests{0};

  // ---- On the strand. The coroutines are static, with the connection as a
  // parameter; the stream goes by pointer (the caller holds it until they
  // end). Inside them a co_await result goes to a named variable first:
  // GCC 12.2 built `if (!co_await f()) break;` in a loop into a coroutine
  // whose frame was resumed at the wrong address (its parameters read one
  // slot off; a crash at the first resume, reproduced in 30 lines with
  // Boost.Asio 1.74), and `bool b = co_await f(); if (!b) break;` correctly.
  // A new stream, or null when none may start on this connection now.
  // With a body of about `body_bytes`, the send congestion control is
  // chosen first (net/send_congestion.hpp), before the HEADERS frame leaves:
  // a header sent after idle has already made the kernel cut cubic's window
  // (100 KiB up through the edge: ~370 ms instead of ~235). Not while
  // another stream's body is going out: the choice is per burst of the
  // connection, and switching the algorithm under a burst in flight resets
  // what it learned mid-way.
  std::shared_ptr<Stream> open(const h2::H2RequestHead& head, bool has_body, uint64_t body_bytes = 0);
  // Queues request-body bytes, first waiting while the stream has
  // kQueueLimit unsent. False when the stream can take no more (it closed,
  // the gateway answered already, the connection is gone, or no progress
  // before `deadline`): stop sending and look at the response.
  static boost::asio::awaitable<bool> send(std::shared_ptr<H2Upstream> self, Stream* stream, const uint8_t* data,
                                           size_t size, Deadline deadline);
  void end_body(const std::shared_ptr<Stream>& stream);
  // Waits for the response header or the stream's close (or the deadline).
  static boost::asio::awaitable<void> await_response(std::shared_ptr<H2Upstream> self, Stream* stream,
                                                     Deadline deadline);
  // The next response bytes (up to `max`), given back to the gateway's
  // window as they are handed out.
  static boost::asio::awaitable<Piece> read(std::shared_ptr<H2Upstream> self, Stream* stream, size_t max,
                                            Deadline deadline);
  // RST_STREAM(code) unless the stream has closed already.
  void cancel(const std::shared_ptr<Stream>& stream, uint32_t code);

  // Requests of the connection's own (greeting, window warm-up): `upload`
  // bytes of zeros sent as the body, the response read and dropped. Returns
  // the status, 0 when the stream broke.
  static boost::asio::awaitable<int> simple(std::shared_ptr<H2Upstream> self, h2::H2RequestHead head, uint64_t upload,
                                            int64_t timeout_seconds);

  // h2::H2ClientEvents
  void on_response(int32_t stream, int status, h2::HeaderList fields) override;
  void on_data(int32_t stream, std::span<const uint8_t> bytes) override;
  void on_response_end(int32_t stream) override;
  void on_stream_closed(int32_t stream, uint32_t error_code) override;
  void on_body_sent(int32_t stream) override;
  void on_goaway(int32_t last_stream, uint32_t error_code) override;

  // Request-body bytes a stream may have waiting unsent.
  static constexpr size_t kQueueLimit = 256 * 1024;

  // How long the gateway may stay silent after a PING before the connection
  // is given up:
  // 25 round trips of a 200 ms path. The gateway's HTTP/2 layer answers a
  // PING from its I/O thread, whatever its handlers are doing.
  static constexpr std::chrono::seconds kPingTimeout{5};
  // Whether this connection ended because a PING went unanswered (a gateway
  // that stopped answering, a path that went silent). Any thread.
  bool gave_up() const { return gave_up_.load(std::memory_order_relaxed); }

 private:
  static boost::asio::awaitable<void> run(std::shared_ptr<H2Upstream> self);
  static boost::asio::awaitable<void> flush(std::shared_ptr<H2Upstream> self);
  void schedule_flush();
  void update_counters();
  void close_if_done();
  static boost::asio::awaitable<bool> wait(Stream* stream, Deadline deadline);
  // A stream waited out its deadline without a word from the gateway: is
  // the connection alive? PINGs once; no byte from the gateway within
  // kPingTimeout (neither the answer nor anything else) closes it,
  // so the streams on it end now and new ones go to a fresh connection
  // instead of waiting out their own deadlines on a dead one (TCP alone
  // would take ~15 minutes of retransmissions to give up).
  void probe_liveness();
  static boost::asio::awaitable<void> await_ping(std::shared_ptr<H2Upstream> self, uint64_t received_before);

  std::unique_ptr<UpstreamConnection> conn_;
  boost::asio::any_io_executor executor_;
  h2::H2ClientSession session_;
  std::function<void(H2Upstream&)> on_gone_;
  std::map<int32_t, std::shared_ptr<Stream>> streams_;
  int fd_ = -1;
  bool flushing_ = false;
  bool dead_ = false;      // the transport failed or closed: nothing more goes out
  bool stopping_ = false;  // stop(): close once the streams are done
  bool probing_ = false;   // a PING is out and its timer runs
  uint64_t received_ = 0;  // bytes read from the gateway so far
  std::atomic<bool> gave_up_{false};
  std::atomic<size_t> active_{0};
  std::atomic<uint32_t> max_streams_{1};
  std::atomic<bool> usable_{true};
  std::atomic<uint64_t> started_{0};
};

}  // namespace haul::edge
