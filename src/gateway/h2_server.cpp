#include "gateway/h2_server.hpp"

#include "gateway/h2_body_queue.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace haul::gateway::h2 {

std::string_view abuse_name(Abuse abuse) {
  switch (abuse) {
    case Abuse::none: return "none";
    case Abuse::rapid_reset: return "rapid_reset";
    case Abuse::control_flood: return "control_flood";
    case Abuse::header_flood: return "header_flood";
    case Abuse::protocol: return "protocol";
  }
  return "none";
}

// Per-stream state the session keeps: the request while its header block
// arrives, then the response body queue nghttp2 reads from.
struct H2ServerSession::Stream {
  H2Request request;
  size_t header_bytes = 0;
  bool headers_done = false;
  H2BodyQueue body;  // the response body the handler queued
};

namespace {

H2ServerSession& self(void* user_data) {
  return *static_cast<H2ServerSession*>(user_data);
}

int begin_headers_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  return self(user_data).on_begin_headers(frame->hd.stream_id);
}

int header_cb(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value,
              size_t valuelen, uint8_t, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  return self(user_data).on_header(frame->hd.stream_id, std::string_view(reinterpret_cast<const char*>(name), namelen),
                                   std::string_view(reinterpret_cast<const char*>(value), valuelen));
}

int frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& s = self(user_data);
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    return s.on_headers_done(frame->hd.stream_id, (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0);
  }
  return s.on_frame(frame->hd.type, frame->hd.flags, frame->hd.stream_id, frame->hd.length);
}

int data_chunk_cb(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len, void* user_data) {
  return self(user_data).on_data(stream_id, std::span<const uint8_t>(data, len));
}

int frame_send_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return self(user_data).on_sent(frame->hd.type, frame->hd.flags, frame->hd.stream_id);
}

int stream_close_cb(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  return self(user_data).on_close(stream_id, error_code);
}

ssize_t data_read_cb(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags,
                     nghttp2_data_source*, void* user_data) {
  return self(user_data).read_body(stream_id, buf, length, data_flags);
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

H2ServerSession::H2ServerSession(const H2Limits& limits, H2Events& events) : limits_(limits), events_(events) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_option* option = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&option) != 0) {
    nghttp2_session_callbacks_del(callbacks);
    throw std::bad_alloc();
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, stream_close_cb);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, frame_send_cb);
  // Window updates follow consumption (consume), not arrival.
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_max_continuations(option, limits.max_continuations);
  // nghttp2's own rapid-reset guard as a backstop at twice ours: ours comes
  // first and names the abuse (on_frame).
  nghttp2_option_set_stream_reset_rate_limit(option, limits.reset_burst * 2, limits.reset_rate * 2);
  const int rv = nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_option_del(option);
  if (rv != 0) throw std::bad_alloc();

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(limits.header_list_limit)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  // The connection window starts at 65 535 whatever SETTINGS say (RFC 9113
  // 6.9.2): raise it with a WINDOW_UPDATE.
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, static_cast<int32_t>(limits.connection_window));
}

H2ServerSession::~H2ServerSession() {
  nghttp2_session_del(session_);
}

bool H2ServerSession::receive(std::span<const uint8_t> bytes) {
  if (abuse_ != Abuse::none) return false;
  const ssize_t rv = nghttp2_session_mem_recv(session_, bytes.data(), bytes.size());
  if (rv < 0) {
    // A callback refused (abuse, flagged there), the peer does not read the
    // acknowledgements its SETTINGS and PINGs ask for (nghttp2 counts them:
    // a flood), or it is broken (a bad preface): GOAWAY and the end.
    if (rv == NGHTTP2_ERR_FLOODED) flag(Abuse::control_flood, NGHTTP2_ENHANCE_YOUR_CALM);
    if (rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) flag(Abuse::header_flood, NGHTTP2_ENHANCE_YOUR_CALM);
    if (abuse_ == Abuse::none) flag(Abuse::protocol, NGHTTP2_PROTOCOL_ERROR);
    return false;
  }
  return abuse_ == Abuse::none;
}

size_t H2ServerSession::take_output(std::vector<uint8_t>& out, size_t max) {
  return take_session_output(session_, out, max);
}

bool H2ServerSession::want_write() const {
  return nghttp2_session_want_write(session_) != 0;
}
bool H2ServerSession::want_read() const {
  return nghttp2_session_want_read(session_) != 0;
}

void H2ServerSession::respond(int32_t stream, int status, const HeaderList& fields, bool has_body) {
  std::vector<std::pair<std::string, std::string>> owned;
  owned.reserve(fields.size() + 1);
  owned.emplace_back(":status", std::to_string(status));
  for (const auto& [name, value] : fields) {
    std::string lowered = lower(name);
    if (connection_specific(lowered)) continue;
    owned.emplace_back(std::move(lowered), value);
  }
  std::vector<nghttp2_nv> nva;
  nva.reserve(owned.size());
  for (const auto& [name, value] : owned) nva.push_back(make_nv(name, value));
  nghttp2_data_provider provider{};
  provider.read_callback = data_read_cb;
  nghttp2_submit_response(session_, stream, nva.data(), nva.size(), has_body ? &provider : nullptr);
}

void H2ServerSession::informational(int32_t stream, int status) {
  const std::string name = ":status";
  const std::string value = std::to_string(status);
  const nghttp2_nv nv = make_nv(name, value);
  nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, stream, nullptr, &nv, 1, nullptr);
}

void H2ServerSession::queue_body(int32_t stream, std::span<const uint8_t> bytes) {
  queue_stream_body(session_, streams_, stream, bytes);
}

void H2ServerSession::end_body(int32_t stream) {
  end_stream_body(session_, streams_, stream);
}

size_t H2ServerSession::queued(int32_t stream) const {
  return stream_body_queued(streams_, stream);
}

void H2ServerSession::consume(int32_t stream, size_t n) {
  if (n == 0) return;
  // A closed stream's bytes still count against the connection window.
  if (streams_.count(stream) != 0) {
    nghttp2_session_consume(session_, stream, n);
  } else {
    nghttp2_session_consume_connection(session_, n);
  }
}

void H2ServerSession::reset(int32_t stream, uint32_t code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream, code);
}

void H2ServerSession::shut_down() {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
}

void H2ServerSession::terminate(uint32_t code) {
  nghttp2_session_terminate_session(session_, code);
}

void H2ServerSession::flag(Abuse abuse, uint32_t code) {
  if (abuse_ != Abuse::none) return;
  abuse_ = abuse;
  terminate(code);
}

bool H2ServerSession::spend(Bucket& bucket, uint64_t burst, uint64_t rate) {
  const double now = now_seconds();
  if (bucket.last < 0)
    bucket.tokens = static_cast<double>(burst);
  else
    bucket.tokens =
        std::min(static_cast<double>(burst), bucket.tokens + (now - bucket.last) * static_cast<double>(rate));
  bucket.last = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

int H2ServerSession::on_begin_headers(int32_t stream) {
  auto s = std::make_unique<Stream>();
  s->request.stream = stream;
  streams_[stream] = std::move(s);
  return 0;
}

int H2ServerSession::on_header(int32_t stream, std::string_view name, std::string_view value) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return 0;
  Stream& s = *it->second;
  if (s.headers_done) {
    // Trailers: nothing a handler reads, but they count as header bytes.
    s.header_bytes += name.size() + value.size() + 32;
    return 0;
  }
  s.header_bytes += name.size() + value.size() + 32;
  if (s.header_bytes > limits_.header_list_limit) {
    // Keep nothing more (an HPACK bomb decodes to far more than it sends);
    // the request is answered 431 when its header block ends.
    s.request.header_too_large = true;
    return 0;
  }
  H2Request& r = s.request;
  if (name == ":method") {
    r.method = value;
  } else if (name == ":path") {
    r.path = value;
  } else if (name == ":authority") {
    r.authority = value;
  } else if (name == ":scheme") {
    r.scheme = value;
  } else if (!name.empty() && name[0] != ':') {
    r.fields.emplace_back(std::string(name), std::string(value));
  }
  return 0;
}

int H2ServerSession::on_headers_done(int32_t stream, bool end_stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return 0;
  Stream& s = *it->second;
  s.headers_done = true;
  H2Request request = s.request;
  request.end_stream = end_stream;
  const bool has_host =
      std::any_of(request.fields.begin(), request.fields.end(), [](const auto& f) { return f.first == "host"; });
  if (!has_host && !request.authority.empty()) request.fields.emplace_back("host", request.authority);
  s.request.fields.clear();  // the handler's copy is the one that counts
  events_.on_request(std::move(request));
  return 0;
}

int H2ServerSession::on_data(int32_t stream, std::span<const uint8_t> bytes) {
  if (streams_.count(stream) == 0) {
    // Data for a stream already closed on our side: give the window back.
    nghttp2_session_consume_connection(session_, bytes.size());
    return 0;
  }
  events_.on_body(stream, bytes);
  return 0;
}

int H2ServerSession::on_frame(uint8_t type, uint8_t flags, int32_t stream, size_t length) {
  bool control = false;
  switch (type) {
    case NGHTTP2_RST_STREAM:
      if (!spend(resets_, limits_.reset_burst, limits_.reset_rate)) {
        flag(Abuse::rapid_reset, NGHTTP2_ENHANCE_YOUR_CALM);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
      }
      break;
    case NGHTTP2_PING:
    case NGHTTP2_SETTINGS: control = (flags & NGHTTP2_FLAG_ACK) == 0; break;
    case NGHTTP2_PRIORITY: control = true; break;
    case NGHTTP2_DATA:
      control = length == 0 && (flags & NGHTTP2_FLAG_END_STREAM) == 0;
      if (length == 0 && (flags & NGHTTP2_FLAG_END_STREAM) != 0) events_.on_body_end(stream);
      break;
    case NGHTTP2_WINDOW_UPDATE:
      // A connection-level update while no response body is under way only
      // makes us work.
      control = stream == 0 && streams_.empty();
      break;
    case NGHTTP2_HEADERS:
      // Not a request's header (frame_recv_cb routes those): trailers,
      // which end the body.
      if ((flags & NGHTTP2_FLAG_END_STREAM) != 0) events_.on_body_end(stream);
      break;
    default: break;
  }
  if (type == NGHTTP2_DATA && length > 0 && (flags & NGHTTP2_FLAG_END_STREAM) != 0) events_.on_body_end(stream);
  if (control && !spend(control_frames_, limits_.control_burst, limits_.control_rate)) {
    flag(Abuse::control_flood, NGHTTP2_ENHANCE_YOUR_CALM);
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

int H2ServerSession::on_close(int32_t stream, uint32_t error_code) {
  if (streams_.erase(stream) != 0) events_.on_stream_closed(stream, error_code);
  return 0;
}

int H2ServerSession::on_sent(uint8_t type, uint8_t flags, int32_t stream) {
  if ((type == NGHTTP2_HEADERS || type == NGHTTP2_DATA) && (flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    events_.on_response_sent(stream);
  }
  return 0;
}

long H2ServerSession::read_body(int32_t stream, uint8_t* buf, size_t length, uint32_t* data_flags) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const long n = it->second->body.read(buf, length, data_flags);
  if (n > 0) events_.on_body_sent(stream);
  return n;
}

}  // namespace haul::gateway::h2
