#include "client/request.hpp"

#include "http/url.hpp"

namespace haul::client {

void Request::reset_results() {
  failure = Failure::none;
  error.clear();
  declined = false;
  status = 0;
  body.clear();
  response_headers.clear();
  body_bytes_sent = body_bytes_received = 0;
  digest.clear();
  timings = {};
  connections_opened = 0;
  local_port = 0;
  stopped_at_limit = false;
  tcp.reset();
}

std::string Request::header(std::string_view name) const {
  const std::string* value = http_client::find_header(response_headers, name);
  return value ? *value : std::string();
}

std::unique_ptr<Request> RetryQueue::pop_ready(std::chrono::steady_clock::time_point now) {
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if ((*it)->not_before <= now) {
      auto r = std::move(*it);
      waiting_.erase(it);
      return r;
    }
  }
  return nullptr;
}

bool schedule_retry(std::unique_ptr<Request>& r, const RetryPolicy& policy, RetryQueue& queue) {
  if (!http_client::should_retry(policy, r->failure, r->status, r->idempotent, r->attempt)) return false;
  auto delay = http_client::backoff(policy, r->attempt);
  r->attempt++;
  r->reset_results();
  r->not_before = std::chrono::steady_clock::now() + delay;
  queue.push(std::move(r));
  return true;
}

std::string encode_key(const std::string& key) {
  return http::percent_encode(key, true);
}
std::string encode_query(const std::string& value) {
  return http::percent_encode(value, false);
}

}  // namespace haul::client
