#include "client/request.hpp"

#include "http/url.hpp"

#include <curl/curl.h>

namespace haul::client {

Request::~Request() { release_easy(); }

void Request::set_header_list(void* list) {
  if (header_list_) curl_slist_free_all(static_cast<curl_slist*>(header_list_));
  header_list_ = list;
}

void Request::release_easy() {
  set_header_list(nullptr);
  easy_ = nullptr;
}

void Request::reset_results() {
  failure = Failure::none;
  error.clear();
  status = 0;
  body.clear();
  response_headers.clear();
  body_bytes_sent = body_bytes_received = 0;
  digest.clear();
  timings = {};
  connections_opened = 0;
  tcp.reset();
  hasher = crypto::Sha256();
  local_error.clear();
}

std::string Request::header(const std::string& name) const {
  auto it = response_headers.find(name);
  return it == response_headers.end() ? std::string() : it->second;
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
  if (!policy.should_retry(r->failure, r->status, r->idempotent, r->attempt)) return false;
  auto delay = std::chrono::milliseconds(policy.backoff_ms(r->attempt));
  r->attempt++;
  r->reset_results();
  r->not_before = std::chrono::steady_clock::now() + delay;
  queue.push(std::move(r));
  return true;
}

std::string encode_key(const std::string& key) { return http::percent_encode(key, true); }
std::string encode_query(const std::string& value) { return http::percent_encode(value, false); }

}  // namespace haul::client
