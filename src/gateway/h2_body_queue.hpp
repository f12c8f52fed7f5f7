#pragma once
// What both ends of haul's HTTP/2 sessions share (sans-IO, over nghttp2):
// the queue a stream's outgoing body waits in until nghttp2's data provider
// takes it as the peer's windows allow, and the header-field helpers. The
// gateway's server session (h2_server.cpp) sends response bodies from it,
// the edge's client session (edge/h2_client.cpp) request bodies.

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace haul::gateway::h2 {

class H2BodyQueue {
 public:
  // Appends bytes (reclaiming what nghttp2 has taken first).
  void push(std::span<const uint8_t> bytes);
  void end() { ended_ = true; }
  // Bytes queued and not yet taken.
  size_t queued() const { return body_.size() - sent_; }
  // nghttp2's data_source_read_callback: copies up to `length` bytes into
  // `buf` and returns how many, with NGHTTP2_DATA_FLAG_EOF once the body
  // ended and is all taken; NGHTTP2_ERR_DEFERRED while nothing is queued
  // (the owner resumes the stream when bytes arrive).
  long read(uint8_t* buf, size_t length, uint32_t* data_flags);

 private:
  std::vector<uint8_t> body_;  // from sent_ on: not yet taken
  size_t sent_ = 0;
  bool ended_ = false;
};

// The stream-body calls both sessions make on a map of stream id -> stream
// (anything with an H2BodyQueue `body`): queue bytes or the end and let
// nghttp2 take them (resume the deferred data provider); bytes still queued.
template <class StreamMap>
void queue_stream_body(nghttp2_session* session, StreamMap& streams, int32_t stream, std::span<const uint8_t> bytes) {
  auto it = streams.find(stream);
  if (it == streams.end() || bytes.empty()) return;
  it->second->body.push(bytes);
  nghttp2_session_resume_data(session, stream);
}
template <class StreamMap>
void end_stream_body(nghttp2_session* session, StreamMap& streams, int32_t stream) {
  auto it = streams.find(stream);
  if (it == streams.end()) return;
  it->second->body.end();
  nghttp2_session_resume_data(session, stream);
}
template <class StreamMap>
size_t stream_body_queued(const StreamMap& streams, int32_t stream) {
  auto it = streams.find(stream);
  return it == streams.end() ? 0 : it->second->body.queued();
}

// Appends the frames nghttp2 has to send to `out`, about `max` bytes at most
// (one frame may pass it). Returns the bytes appended.
size_t take_session_output(nghttp2_session* session, std::vector<uint8_t>& out, size_t max);

// RFC 9113 8.2.2: fields that must not appear in HTTP/2.
bool connection_specific(std::string_view lower_name);
std::string lower(std::string_view text);
// A field for nghttp2's submit calls, which copy names and values: the
// strings only have to live through the call.
nghttp2_nv make_nv(const std::string& name, const std::string& value);

}  // namespace haul::gateway::h2
