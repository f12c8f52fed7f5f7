#include "client/transfer.hpp"

#include <algorithm>

namespace haul::client {

std::optional<size_t> RequestTransfer::read_body(std::span<char> out) {
  uint64_t left = r_.source_length - r_.body_bytes_sent;
  size_t want = static_cast<size_t>(std::min<uint64_t>(left, out.size()));
  if (want == 0) return 0;
  size_t n = 0;
  try {
    n = r_.source->read_at(r_.source_offset + r_.body_bytes_sent, out.data(), want);
  } catch (const std::exception& e) {
    local_error_ = e.what();
    return std::nullopt;
  }
  if (n == 0) {
    local_error_ = "file shrank while uploading";
    return std::nullopt;
  }
  if (r_.hash_body) hasher_.update(out.data(), n);
  r_.body_bytes_sent += n;
  progress_.done += n;
  return n;
}

http_client::Handler::Take RequestTransfer::on_body(const http_client::ResponseHead& head, std::string_view data) {
  // The status line came before any body byte.
  bool good = head.status >= 200 && head.status < 300 && (r_.expect_status == 0 || head.status == r_.expect_status);
  if (!good || r_.sink == nullptr) {
    if (r_.body.size() + data.size() > kMaxCapturedBody) {
      local_error_ = "answer body too large";
      return Take::stop;
    }
    r_.body.append(data);
    return Take::all;
  }
  bool at_limit = false;
  if (r_.stop_after > 0 && r_.body_bytes_received + data.size() >= r_.stop_after) {
    data = data.substr(0, static_cast<size_t>(r_.stop_after - std::min(r_.stop_after, r_.body_bytes_received)));
    at_limit = true;
  }
  try {
    r_.sink->write_at(r_.sink_offset + r_.body_bytes_received, data.data(), data.size());
  } catch (const std::exception& e) {
    local_error_ = e.what();
    return Take::stop;
  }
  if (r_.hash_body) hasher_.update(data.data(), data.size());
  r_.body_bytes_received += data.size();
  progress_.done += data.size();
  if (at_limit) {
    r_.stopped_at_limit = true;
    local_error_ = "stopped at " + std::to_string(r_.stop_after) + " bytes: the rest was asked for apart";
    return Take::stop;
  }
  return Take::all;
}

bool RequestTransfer::before_send(int local_port) {
  r_.local_port = local_port;
  if (!gate_ || gate_->before_request(r_, local_port)) return true;
  local_error_ = "not sent: the connection's round trip is shorter than this request's minimum";
  return false;
}

void RequestTransfer::finish() {
  if (r_.hash_body) r_.digest = hasher_.hex_digest();
}

http_client::Options exchange_options(const Request& r, const ClientConfig& config, bool fastopen,
                                      http_client::SocketHooks* sockets, http_client::TlsSessions* tls_sessions) {
  http_client::Options o;
  o.url = config.gateway + r.path;
  o.unix_socket = config.unix_socket;
  o.method = r.method;
  if (!config.token.empty()) o.headers.push_back("Authorization: Bearer " + config.token);
  if (!config.store.empty()) o.headers.push_back("X-Haul-Store: " + config.store);
  o.headers.insert(o.headers.end(), r.headers.begin(), r.headers.end());
  if (r.method == "PUT") o.streamed_size = r.source ? r.source_length : 0;
  if (r.method == "POST") o.body = std::span(reinterpret_cast<const uint8_t*>(r.post_body.data()), r.post_body.size());
  o.connect_timeout_ms = config.connect_timeout_ms;
  o.stall_seconds = config.stall_timeout_s;
  o.fresh_connection = r.fresh_connection;
  o.http2 = uses_http2(config) && !r.bulk && !r.fresh_connection;
  o.fastopen = fastopen;
  o.ask_before_send = true;
  o.sockets = sockets;
  o.tls = config.tls;
  o.tls_sessions = tls_sessions;
  o.accept_gzip = r.accept_gzip;
  return o;
}

}  // namespace haul::client
