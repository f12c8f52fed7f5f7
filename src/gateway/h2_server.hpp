#pragma once
// The server side of one HTTP/2 connection, sans-IO: bytes read from the
// peer go in (receive), frames to send come out (take_output), and what the
// peer asked for arrives as events (H2Events). nghttp2 does the framing,
// HPACK, stream states and flow control; this class adds what a gateway on
// a long fat link needs on top:
//
// - flow control by consumption: window updates follow what the handlers
//   have taken (consume), not what arrived, so a connection buffers at most
//   its connection window of request bodies however slow the store is;
// - response bodies from per-stream queues that handlers fill (queue_body)
//   and nghttp2 drains as the peer's windows allow;
// - the limits against the known HTTP/2 abuse classes (H2Limits): rapid
//   reset, CONTINUATION floods, decoded header lists over the limit (HPACK
//   bombs), control-frame floods (SETTINGS, PING, PRIORITY, empty DATA),
//   stream-count exhaustion. An abusive peer gets GOAWAY and the connection
//   ends; abuse() says which limit it hit.
//
// Not thread-safe: one connection's strand drives it.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct nghttp2_session;

namespace haul::gateway::h2 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct H2Limits {
  // Streams open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused
  // with RST_STREAM(REFUSED_STREAM), which clients retry.
  uint32_t max_concurrent_streams = 256;
  // Request-body bytes the peer may send ahead of what handlers consumed:
  // per stream (SETTINGS_INITIAL_WINDOW_SIZE) and per connection. The
  // connection window bounds a connection's buffered request bodies. 32 MiB
  // covers 1 Gbit/s x 200 ms (25 MB), so one stream fills such a link.
  uint32_t stream_window = 32u << 20;
  uint32_t connection_window = 32u << 20;
  // Decoded bytes of one request's header list (names + values + 32 per
  // field, RFC 9113 6.5.2); over it the request is answered 431.
  size_t header_list_limit = 16 * 1024;
  // Rapid reset (CVE-2023-44487): stream resets by the peer, a token bucket
  // of this burst refilled at this rate per second; beyond it, GOAWAY.
  uint64_t reset_burst = 1000;
  uint64_t reset_rate = 33;
  // CONTINUATION frames after one HEADERS frame (CVE-2024-28182).
  size_t max_continuations = 8;
  // Frames that carry no request progress (PING, SETTINGS, PRIORITY, empty
  // DATA without END_STREAM, WINDOW_UPDATE for the connection while nothing
  // is sent): a token bucket of this burst refilled at this rate per second.
  uint64_t control_burst = 1000;
  uint64_t control_rate = 100;
};

// Why a connection was sent GOAWAY for abuse; none while it behaves.
enum class Abuse { none, rapid_reset, control_flood, header_flood, protocol };
std::string_view abuse_name(Abuse abuse);

struct H2Request {
  int32_t stream = 0;
  std::string method;             // :method
  std::string path;               // :path
  std::string authority;          // :authority, also given as a "host" field when the request had none
  std::string scheme;             // :scheme
  HeaderList fields;              // regular fields, names lower-case as HTTP/2 requires
  bool end_stream = false;        // no body follows
  bool header_too_large = false;  // over header_list_limit: answer 431, fields incomplete
};

// What the session reports while receive() or take_output() runs. Handlers
// must not call back into the session from these, except queue/consume calls
// that only change counters (they are safe).
class H2Events {
 public:
  virtual ~H2Events() = default;
  virtual void on_request(H2Request request) = 0;
  virtual void on_body(int32_t stream, std::span<const uint8_t> bytes) = 0;
  virtual void on_body_end(int32_t stream) = 0;
  // The stream is closed: its response went out whole and its request ended,
  // or either side reset it (error_code != 0, RFC 9113 section 7).
  virtual void on_stream_closed(int32_t stream, uint32_t error_code) = 0;
  // nghttp2 took bytes of the stream's response queue: a handler waiting
  // for room may go on.
  virtual void on_body_sent(int32_t stream) = 0;
  // The response's last frame (END_STREAM) went out.
  virtual void on_response_sent(int32_t stream) = 0;
};

class H2ServerSession {
 public:
  H2ServerSession(const H2Limits& limits, H2Events& events);
  ~H2ServerSession();
  H2ServerSession(const H2ServerSession&) = delete;
  H2ServerSession& operator=(const H2ServerSession&) = delete;

  // Feeds bytes from the peer (the connection preface first). False when the
  // connection must end: a protocol error or abuse (GOAWAY is queued, send
  // what take_output gives, then close).
  bool receive(std::span<const uint8_t> bytes);
  // Appends frames to send to `out`, about `max` bytes at most (one frame
  // may pass it). Returns the bytes appended.
  size_t take_output(std::vector<uint8_t>& out, size_t max);
  bool want_write() const;
  // The connection has more to do: streams open, or the peer may still send.
  bool want_read() const;

  // A response header; with a body when has_body (then queue_body and
  // end_body), END_STREAM on the header otherwise. Field names are lowered;
  // connection-specific fields (Connection, Keep-Alive, Transfer-Encoding,
  // Upgrade) are dropped, as RFC 9113 8.2.2 requires.
  void respond(int32_t stream, int status, const HeaderList& fields, bool has_body);
  // An interim 100 (Continue) header.
  void informational(int32_t stream, int status);
  void queue_body(int32_t stream, std::span<const uint8_t> bytes);
  void end_body(int32_t stream);
  // Response bytes queued and not yet taken by nghttp2.
  size_t queued(int32_t stream) const;
  // The handler took n request-body bytes: the peer may send that many more.
  void consume(int32_t stream, size_t n);
  // Resets one stream (RST_STREAM with code): a response cut midway, or a
  // request body no longer wanted after a complete response (NO_ERROR).
  void reset(int32_t stream, uint32_t code);
  // GOAWAY with the last stream id: streams in progress complete, no new
  // ones start (shutdown, or an idle connection closed to make room).
  void shut_down();
  // Ends the connection at once with GOAWAY(code).
  void terminate(uint32_t code);

  Abuse abuse() const { return abuse_; }
  size_t open_streams() const { return streams_.size(); }

  // nghttp2's callbacks, public for the C trampolines in h2_server.cpp.
  struct Stream;
  int on_begin_headers(int32_t stream);
  int on_header(int32_t stream, std::string_view name, std::string_view value);
  int on_headers_done(int32_t stream, bool end_stream);
  int on_data(int32_t stream, std::span<const uint8_t> bytes);
  int on_frame(uint8_t type, uint8_t flags, int32_t stream, size_t length);
  int on_close(int32_t stream, uint32_t error_code);
  int on_sent(uint8_t type, uint8_t flags, int32_t stream);
  long read_body(int32_t stream, uint8_t* buf, size_t length, uint32_t* data_flags);

 private:
  // A token bucket: `burst` tokens, refilled at `rate` per second.
  struct Bucket {
    double tokens = 0;
    double last = -1;  // seconds; < 0 before the first spend (the bucket starts full)
  };
  static bool spend(Bucket& bucket, uint64_t burst, uint64_t rate);
  void flag(Abuse abuse, uint32_t code);

  H2Limits limits_;
  H2Events& events_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  Abuse abuse_ = Abuse::none;
  Bucket resets_;          // RST_STREAM frames from the peer
  Bucket control_frames_;  // frames that carry no request progress
};

}  // namespace haul::gateway::h2
