#include "gateway/h2_body_queue.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace haul::gateway::h2 {

void H2BodyQueue::push(std::span<const uint8_t> bytes) {
  if (sent_ > 0 && sent_ == body_.size()) {
    body_.clear();
    sent_ = 0;
  } else if (sent_ > body_.size() / 2) {
    body_.erase(body_.begin(), body_.begin() + static_cast<std::ptrdiff_t>(sent_));
    sent_ = 0;
  }
  body_.insert(body_.end(), bytes.begin(), bytes.end());
}

long H2BodyQueue::read(uint8_t* buf, size_t length, uint32_t* data_flags) {
  const size_t available = body_.size() - sent_;
  if (available == 0) {
    if (ended_) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    return NGHTTP2_ERR_DEFERRED;
  }
  const size_t n = std::min(length, available);
  std::memcpy(buf, body_.data() + sent_, n);
  sent_ += n;
  if (sent_ == body_.size() && ended_) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<long>(n);
}

bool connection_specific(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade" || lower_name == "proxy-connection";
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

nghttp2_nv make_nv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

size_t take_session_output(nghttp2_session* session, std::vector<uint8_t>& out, size_t max) {
  size_t taken = 0;
  while (taken < max) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n <= 0) break;  // nothing more now (or a fatal error: want_write turns false)
    out.insert(out.end(), data, data + n);
    taken += static_cast<size_t>(n);
  }
  return taken;
}

}  // namespace haul::gateway::h2
