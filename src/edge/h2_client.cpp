#include "edge/h2_client.hpp"

#include "gateway/h2_body_queue.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>
#include <new>

namespace haul::edge::h2 {

// Per-stream state: the response header while it arrives, the request body
// queue nghttp2 reads from.
struct H2ClientSession::Stream {
  int status = 0;
  HeaderList fields;
  bool final_seen = false;        // the final (non-1xx) response header arrived
  gateway::h2::H2BodyQueue body;  // the request body the relay queued
};

namespace {

H2ClientSession& self(void* user_data) {
  return *static_cast<H2ClientSession*>(user_data);
}

int header_cb(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value,
              size_t valuelen, uint8_t, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  return self(user_data).on_header(frame->hd.stream_id, static_cast<uint8_t>(frame->headers.cat),
                                   std::string_view(reinterpret_cast<const char*>(name), namelen),
                                   std::string_view(reinterpret_cast<const char*>(value), valuelen));
}

int frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  const bool headers = frame->hd.type == NGHTTP2_HEADERS;
  const bool goaway = frame->hd.type == NGHTTP2_GOAWAY;
  return self(user_data).on_frame(frame->hd.type, frame->hd.flags, frame->hd.stream_id,
                                  headers ? static_cast<uint8_t>(frame->headers.cat) : 0,
                                  goaway ? frame->goaway.error_code : 0, goaway ? frame->goaway.last_stream_id : 0);
}

int data_chunk_cb(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len, void* user_data) {
  return self(user_data).on_data(stream_id, std::span<const uint8_t>(data, len));
}

int stream_close_cb(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  return self(user_data).on_close(stream_id, error_code);
}

ssize_t data_read_cb(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags,
                     nghttp2_data_source*, void* user_data) {
  return self(user_data).read_body(stream_id, buf, length, data_flags);
}

// Fields a request does not carry in HTTP/2: the connection-specific ones
// (RFC 9113 8.2.2), Host (:authority says it, 8.3.1) and TE (the relay
// never asks for trailers).
bool dropped(std::string_view lower_name) {
  return gateway::h2::connection_specific(lower_name) || lower_name == "host" || lower_name == "te";
}

}  // namespace

H2ClientSession::H2ClientSession(const H2ClientLimits& limits, H2ClientEvents& events)
    : limits_(limits), events_(events) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_option* option = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&option) != 0) {
    nghttp2_session_callbacks_del(callbacks);
    throw std::bad_alloc();
  }
  nghttp2_session_callbacks_set_on_header_callback(callbacks, header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, stream_close_cb);
  // Window updates follow consumption (consume), not arrival.
  nghttp2_option_set_no_auto_window_update(option, 1);
  const int rv = nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_option_del(option);
  if (rv != 0) throw std::bad_alloc();

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits.stream_window},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  // The connection window starts at 65 535 whatever SETTINGS say (RFC 9113
  // 6.9.2): raise it with a WINDOW_UPDATE.
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, static_cast<int32_t>(limits.connection_window));
}

H2ClientSession::~H2ClientSession() {
  nghttp2_session_del(session_);
}

bool H2ClientSession::receive(std::span<const uint8_t> bytes) {
  const ssize_t rv = nghttp2_session_mem_recv(session_, bytes.data(), bytes.size());
  if (rv < 0) {
    // A broken peer (nghttp2 queued GOAWAY where it could): the end.
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
    goaway_ = true;
    return false;
  }
  // A frame nghttp2 refused (a malformed one, a peer that is not HTTP/2)
  // ends the session inside mem_recv: it queues GOAWAY and allows no more
  // requests, though no GOAWAY came from the peer and none was asked for.
  if (!goaway_ && nghttp2_session_check_request_allowed(session_) == 0) {
    goaway_ = true;
    return false;
  }
  return true;
}

size_t H2ClientSession::take_output(std::vector<uint8_t>& out, size_t max) {
  return gateway::h2::take_session_output(session_, out, max);
}

bool H2ClientSession::want_write() const {
  return nghttp2_session_want_write(session_) != 0;
}
bool H2ClientSession::want_read() const {
  return nghttp2_session_want_read(session_) != 0;
}

uint32_t H2ClientSession::max_streams() const {
  const uint32_t remote = nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return std::min(remote, limits_.max_concurrent_streams);
}

bool H2ClientSession::can_submit() const {
  return !goaway_ && nghttp2_session_check_request_allowed(session_) != 0 && streams_.size() < max_streams() &&
         nghttp2_session_get_next_stream_id(session_) < (uint32_t{1} << 31) - 2;
}

int32_t H2ClientSession::submit(const H2RequestHead& head, bool has_body) {
  if (!can_submit()) return -1;
  std::vector<std::pair<std::string, std::string>> owned;
  owned.reserve(head.fields.size() + 4);
  owned.emplace_back(":method", head.method);
  owned.emplace_back(":scheme", head.scheme);
  owned.emplace_back(":authority", head.authority);
  owned.emplace_back(":path", head.path);
  for (const auto& [name, value] : head.fields) {
    std::string lowered = gateway::h2::lower(name);
    if (dropped(lowered) || lowered.empty() || lowered[0] == ':') continue;
    owned.emplace_back(std::move(lowered), value);
  }
  std::vector<nghttp2_nv> nva;
  nva.reserve(owned.size());
  for (const auto& [name, value] : owned) nva.push_back(gateway::h2::make_nv(name, value));
  nghttp2_data_provider provider{};
  provider.read_callback = data_read_cb;
  const int32_t id =
      nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), has_body ? &provider : nullptr, nullptr);
  if (id < 0) return -1;
  streams_[id] = std::make_unique<Stream>();
  return id;
}

void H2ClientSession::queue_body(int32_t stream, std::span<const uint8_t> bytes) {
  gateway::h2::queue_stream_body(session_, streams_, stream, bytes);
}

void H2ClientSession::end_body(int32_t stream) {
  gateway::h2::end_stream_body(session_, streams_, stream);
}

size_t H2ClientSession::queued(int32_t stream) const {
  return gateway::h2::stream_body_queued(streams_, stream);
}

void H2ClientSession::consume(int32_t stream, size_t n) {
  // The connection window was given back on arrival (on_data); a closed
  // stream needs nothing more.
  if (n == 0 || streams_.count(stream) == 0) return;
  nghttp2_session_consume_stream(session_, stream, n);
}

void H2ClientSession::reset(int32_t stream, uint32_t code) {
  if (streams_.count(stream) == 0) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream, code);
}

void H2ClientSession::shut_down() {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
  goaway_ = true;
}

void H2ClientSession::ping() {
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
}

int H2ClientSession::on_header(int32_t stream, uint8_t, std::string_view name, std::string_view value) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return 0;
  Stream& s = *it->second;
  if (s.final_seen) return 0;  // trailers: nothing the relay passes on
  if (name == ":status") {
    int status = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), status);
    if (ec != std::errc() || end != value.data() + value.size()) status = 0;
    s.status = status;
  } else if (!name.empty() && name[0] != ':') {
    s.fields.emplace_back(std::string(name), std::string(value));
  }
  return 0;
}

int H2ClientSession::on_frame(uint8_t type, uint8_t flags, int32_t stream, uint8_t, uint32_t goaway_code,
                              int32_t last_stream) {
  const bool end_stream = (flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (type == NGHTTP2_PING && (flags & NGHTTP2_FLAG_ACK) != 0) {
    ++pings_acked_;
    return 0;
  }
  if (type == NGHTTP2_GOAWAY) {
    goaway_ = true;
    events_.on_goaway(last_stream, goaway_code);
    return 0;
  }
  auto it = streams_.find(stream);
  if (it == streams_.end()) return 0;
  Stream& s = *it->second;
  if (type == NGHTTP2_HEADERS && !s.final_seen) {
    if (s.status >= 100 && s.status < 200 && !end_stream) {
      // Interim (100 Continue): the final header follows.
      s.status = 0;
      s.fields.clear();
      return 0;
    }
    s.final_seen = true;
    HeaderList fields = std::move(s.fields);
    s.fields.clear();
    events_.on_response(stream, s.status, std::move(fields));
  }
  if ((type == NGHTTP2_HEADERS || type == NGHTTP2_DATA) && end_stream) events_.on_response_end(stream);
  return 0;
}

int H2ClientSession::on_data(int32_t stream, std::span<const uint8_t> bytes) {
  // The connection window goes back at once: each stream is bounded by its
  // own window, so a stalled one cannot take the connection's.
  nghttp2_session_consume_connection(session_, bytes.size());
  if (streams_.count(stream) == 0) return 0;
  events_.on_data(stream, bytes);
  return 0;
}

int H2ClientSession::on_close(int32_t stream, uint32_t error_code) {
  if (streams_.erase(stream) != 0) events_.on_stream_closed(stream, error_code);
  return 0;
}

long H2ClientSession::read_body(int32_t stream, uint8_t* buf, size_t length, uint32_t* data_flags) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const long n = it->second->body.read(buf, length, data_flags);
  if (n > 0) events_.on_body_sent(stream);
  return n;
}

}  // namespace haul::edge::h2
