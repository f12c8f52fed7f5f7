#pragma once
// The client side of one HTTP/2 connection, sans-IO: the edge's upstream to
// the gateway. Bytes read from the gateway go in (receive), frames to send
// come out (take_output), and what the gateway answers arrives as events
// (H2ClientEvents). nghttp2 does the framing, HPACK, stream states and flow
// control; this class adds what a relay across a long fat link needs:
//
// - request bodies from per-stream queues the relay fills (queue_body) as
//   the local client sends, drained by nghttp2 as the gateway's windows
//   allow (a deferred data provider resumed when bytes arrive);
// - flow control by consumption: a stream's window is given back only for
//   the response bytes its local client has taken (consume), so a slow
//   local reader bounds what the edge buffers for its stream at the stream
//   window. The connection window is given back as bytes arrive: a stalled
//   stream never stops the others on its connection (each is bounded by its
//   own window already);
// - the gateway's SETTINGS_MAX_CONCURRENT_STREAMS and GOAWAY decide whether
//   another stream may start (can_submit); a stream the gateway refused
//   (REFUSED_STREAM, or above GOAWAY's last stream id) is closed with
//   NGHTTP2_REFUSED_STREAM: it was never processed and may go again.
//
// Not thread-safe: one connection's strand drives it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct nghttp2_session;

namespace haul::edge::h2 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// RFC 9113 section 7 codes the relay acts on.
inline constexpr uint32_t kNoError = 0x0;
inline constexpr uint32_t kRefusedStream = 0x7;
inline constexpr uint32_t kCancel = 0x8;
inline constexpr uint32_t kInternalError = 0x2;

struct H2ClientLimits {
  // Response bytes one stream may hold unconsumed (SETTINGS_INITIAL_WINDOW_SIZE):
  // what a stalled local reader costs, and what one stream can have in
  // flight: 8 MiB is 335 Mbit/s at 200 ms.
  uint32_t stream_window = 8u << 20;
  // The connection window; given back on arrival, so it only has to cover
  // the streams' windows in flight at once.
  uint32_t connection_window = 256u << 20;
  // Streams this side opens at most on one connection, whatever the
  // gateway's SETTINGS allow: beyond it the edge opens another connection.
  uint32_t max_concurrent_streams = 100;
};

struct H2RequestHead {
  std::string method;
  std::string scheme;     // "https" or "http"
  std::string authority;  // the local Host, so SigV4 signatures still verify
  std::string path;
  HeaderList fields;  // regular fields; names are lowered, connection-specific ones dropped
};

// What the session reports while receive() or take_output() runs. Handlers
// may call queue_body / end_body / consume / reset (they only queue work),
// never receive or take_output.
class H2ClientEvents {
 public:
  virtual ~H2ClientEvents() = default;
  // The final response header (interim 1xx headers are not reported).
  virtual void on_response(int32_t stream, int status, HeaderList fields) = 0;
  virtual void on_data(int32_t stream, std::span<const uint8_t> bytes) = 0;
  // The response ended (END_STREAM on DATA, the header, or trailers).
  virtual void on_response_end(int32_t stream) = 0;
  // The stream is closed: after its end, or reset by either side
  // (error_code != 0); kRefusedStream: the gateway never processed it.
  virtual void on_stream_closed(int32_t stream, uint32_t error_code) = 0;
  // nghttp2 took request-body bytes from the stream's queue: room again.
  virtual void on_body_sent(int32_t stream) = 0;
  // GOAWAY from the gateway: no new streams on this connection.
  virtual void on_goaway(int32_t last_stream, uint32_t error_code) = 0;
};

class H2ClientSession {
 public:
  H2ClientSession(const H2ClientLimits& limits, H2ClientEvents& events);
  ~H2ClientSession();
  H2ClientSession(const H2ClientSession&) = delete;
  H2ClientSession& operator=(const H2ClientSession&) = delete;

  // Feeds bytes from the gateway. False when the connection must end (a
  // protocol error: GOAWAY is queued; send what take_output gives, then close).
  bool receive(std::span<const uint8_t> bytes);
  // Appends frames to send to `out` (the connection preface first), about
  // `max` bytes at most. Returns the bytes appended.
  size_t take_output(std::vector<uint8_t>& out, size_t max);
  bool want_write() const;
  bool want_read() const;

  // Whether another stream may start now: no GOAWAY either way, fewer
  // streams open than the gateway's and our limit, stream ids left.
  bool can_submit() const;
  // Starts a stream; with a body when has_body (then queue_body and
  // end_body), END_STREAM on the header otherwise. Returns the stream id, or
  // a negative value when no stream can start (can_submit said so).
  int32_t submit(const H2RequestHead& head, bool has_body);
  void queue_body(int32_t stream, std::span<const uint8_t> bytes);
  void end_body(int32_t stream);
  // Request-body bytes queued and not yet taken by nghttp2.
  size_t queued(int32_t stream) const;
  // The local client took n response bytes: the gateway may send that many
  // more on this stream.
  void consume(int32_t stream, size_t n);
  // RST_STREAM(code): the local client left, or its upload broke (the
  // gateway then discards what it received).
  void reset(int32_t stream, uint32_t code);
  // GOAWAY(NO_ERROR): streams in progress finish, none start.
  void shut_down();
  // PING: the gateway's HTTP/2 layer answers at once, whatever its handlers
  // are doing, so an answer says the connection and the peer are alive.
  void ping();
  // PING acknowledgements received so far.
  uint64_t pings_acked() const { return pings_acked_; }

  size_t open_streams() const { return streams_.size(); }
  // min(the gateway's SETTINGS_MAX_CONCURRENT_STREAMS, ours).
  uint32_t max_streams() const;
  bool goaway() const { return goaway_; }

  // nghttp2's callbacks, public for the C trampolines in h2_client.cpp.
  struct Stream;
  int on_header(int32_t stream, uint8_t category, std::string_view name, std::string_view value);
  int on_frame(uint8_t type, uint8_t flags, int32_t stream, uint8_t category, uint32_t goaway_code,
               int32_t last_stream);
  int on_data(int32_t stream, std::span<const uint8_t> bytes);
  int on_close(int32_t stream, uint32_t error_code);
  long read_body(int32_t stream, uint8_t* buf, size_t length, uint32_t* data_flags);

 private:
  H2ClientLimits limits_;
  H2ClientEvents& events_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  bool goaway_ = false;
  uint64_t pings_acked_ = 0;
};

}  // namespace haul::edge::h2
