#pragma once
// An Exchange without a connection, for component tests of the handlers
// (tests only). It feeds the request body in chosen pieces, records what the
// handler answered, and runs blocking steps inline. It keeps the contract of
// the session's exchange (session.cpp): a read_body() view dies at the next
// call (the fake overwrites it), a streamed body must add up to its announced
// length (Error(internal) otherwise), a HEAD answer carries no body bytes, a
// write after the peer left throws ConnectionLost. No Beast, no sockets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/exchange.hpp"

namespace haul::gateway::testing {

struct FakeRequest {
  std::string method = "GET";
  std::string target = "/";
  Headers headers;  // request headers (names case-insensitive)
  std::vector<uint8_t> body;
  // Content-Length as sent; by default the body's size (none for GET, HEAD
  // and DELETE without a body). Set chunked to send none.
  std::optional<uint64_t> content_length;
  bool chunked = false;
  size_t piece = 0;  // bytes per read_body() piece; 0: all at once
  // The peer stops sending after this many body bytes: the next read_body()
  // throws Error(bad_request), as the session's does when a peer closes.
  std::optional<size_t> peer_stops_after;
  // The peer takes this many response body bytes, then goes: write_body()
  // throws ConnectionLost (counted as the session counts peer_gone).
  std::optional<uint64_t> peer_takes;
  std::string peer = "127.0.0.1:40000";
  bool peer_is_loopback = true;
};

class FakeExchange final : public Exchange {
 public:
  explicit FakeExchange(FakeRequest request);

  const Request& request() const override { return request_; }
  asio::awaitable<void> invite_body() override;
  asio::awaitable<std::span<const uint8_t>> read_body() override;
  asio::awaitable<void> respond(int status, std::string content_type, std::string body, Headers headers) override;
  asio::awaitable<void> begin_body(int status, Headers headers, uint64_t content_length) override;
  asio::awaitable<void> write_body(std::span<const uint8_t> bytes) override;
  asio::awaitable<void> end_body() override;
  asio::awaitable<void> blocking(std::function<void()> fn) override;
  bool response_started() const override { return started_; }
  void cut() override { cut_ = true; }
  int native_socket() override { return -1; }  // no socket: TCP_INFO fails

  // What the handler answered.
  int status() const { return status_; }
  const Headers& headers() const { return headers_; }
  std::string header(std::string_view name) const;  // "" when absent
  std::string content_type() const { return content_type_; }
  const std::vector<uint8_t>& body() const { return sent_; }
  std::string body_text() const { return std::string(sent_.begin(), sent_.end()); }
  std::optional<uint64_t> announced_length() const { return announced_; }  // begin_body's, or respond's body size
  bool complete() const { return complete_; }                              // respond() or end_body() returned
  bool was_cut() const { return cut_; }      // cut() called, or the peer went during the body
  bool invited() const { return invited_; }  // a 100 Continue went out
  // The connection could not carry another request: the body was not read
  // to its end, or the response was cut (the session's must_close()).
  bool must_close() const { return cut_ || stopped_ || delivered_ < spec_.body.size(); }
  size_t body_bytes_read() const { return delivered_; }
  size_t blocking_calls() const { return blocking_calls_; }

 private:
  FakeRequest spec_;
  Request request_;
  bool head_;
  size_t delivered_ = 0;
  bool stopped_ = false;
  std::vector<uint8_t> view_;  // the last piece handed out
  int status_ = 0;
  std::string content_type_;
  Headers headers_;
  std::vector<uint8_t> sent_;  // response body bytes
  std::optional<uint64_t> announced_;
  uint64_t body_left_ = 0;
  bool started_ = false;
  bool complete_ = false;
  bool cut_ = false;
  bool invited_ = false;
  size_t blocking_calls_ = 0;
};

}  // namespace haul::gateway::testing
