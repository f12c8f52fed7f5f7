#include "gateway/testing/fake_exchange.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace haul::gateway::testing {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string find_header(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return {};
}

}  // namespace

FakeExchange::FakeExchange(FakeRequest spec) : spec_(std::move(spec)), head_(spec_.method == "HEAD") {
  request_.method = spec_.method;
  request_.target = spec_.target;
  request_.chunked = spec_.chunked;
  if (spec_.content_length) {
    request_.content_length = spec_.content_length;
  } else if (!spec_.chunked && !(spec_.body.empty() && (head_ || spec_.method == "GET" || spec_.method == "DELETE"))) {
    request_.content_length = spec_.body.size();
  }
  request_.peer = Peer{spec_.peer, spec_.peer_is_loopback};
  request_.header = [this](std::string_view name) { return find_header(spec_.headers, name); };
  request_.all_headers = [this] { return spec_.headers; };
}

std::string FakeExchange::header(std::string_view name) const {
  return find_header(headers_, name);
}

asio::awaitable<void> FakeExchange::invite_body() {
  if (delivered_ < spec_.body.size() && iequals(request_.header("expect"), "100-continue")) invited_ = true;
  co_return;
}

asio::awaitable<std::span<const uint8_t>> FakeExchange::read_body() {
  // The previous view is dead now: poison it, so a handler that kept it
  // reads garbage and its test fails.
  std::fill(view_.begin(), view_.end(), uint8_t{0xdd});
  if (spec_.peer_stops_after && delivered_ >= *spec_.peer_stops_after) {
    stopped_ = true;
    throw Error(ErrorKind::bad_request, "request body incomplete: the peer closed");
  }
  size_t n = spec_.body.size() - delivered_;
  if (spec_.piece != 0) n = std::min(n, spec_.piece);
  if (spec_.peer_stops_after) n = std::min(n, *spec_.peer_stops_after - delivered_);
  view_.assign(spec_.body.begin() + static_cast<std::ptrdiff_t>(delivered_),
               spec_.body.begin() + static_cast<std::ptrdiff_t>(delivered_ + n));
  delivered_ += n;
  co_return std::span<const uint8_t>(view_);
}

asio::awaitable<void> FakeExchange::respond(int status, std::string content_type, std::string body, Headers headers) {
  if (started_) throw Error(ErrorKind::internal, "FakeExchange: a second response");
  started_ = true;
  status_ = status;
  content_type_ = std::move(content_type);
  headers_ = std::move(headers);
  announced_ = body.size();
  if (!head_) sent_.assign(body.begin(), body.end());
  complete_ = true;
  co_return;
}

asio::awaitable<void> FakeExchange::begin_body(int status, Headers headers, uint64_t content_length) {
  if (started_) throw Error(ErrorKind::internal, "FakeExchange: a second response");
  started_ = true;
  status_ = status;
  headers_ = std::move(headers);
  content_type_ = find_header(headers_, "content-type");
  announced_ = content_length;
  body_left_ = head_ ? 0 : content_length;
  co_return;
}

asio::awaitable<void> FakeExchange::write_body(std::span<const uint8_t> bytes) {
  if (cut_) throw ConnectionLost();
  if (head_ || bytes.empty()) co_return;
  if (bytes.size() > body_left_) throw Error(ErrorKind::internal, "response body longer than its Content-Length");
  if (spec_.peer_takes && sent_.size() + bytes.size() > *spec_.peer_takes) {
    sent_.insert(sent_.end(), bytes.begin(),
                 bytes.begin() + static_cast<std::ptrdiff_t>(*spec_.peer_takes - sent_.size()));
    cut_ = true;
    throw ConnectionLost();
  }
  sent_.insert(sent_.end(), bytes.begin(), bytes.end());
  body_left_ -= bytes.size();
}

asio::awaitable<void> FakeExchange::end_body() {
  if (cut_) throw ConnectionLost();
  if (body_left_ != 0) throw Error(ErrorKind::internal, "response body shorter than its Content-Length");
  complete_ = true;
  co_return;
}

asio::awaitable<void> FakeExchange::blocking(std::function<void()> fn) {
  ++blocking_calls_;
  fn();
  co_return;
}

}  // namespace haul::gateway::testing
