#include "http_client/multi.hpp"

#include <curl/curl.h>
#include <sys/select.h>

#include "core/error.hpp"

namespace haul::http_client {

Multi::Multi() {
  global_init();
  multi_.reset(curl_multi_init());
  if (!multi_) throw Error(ErrorKind::internal, "curl_multi_init failed");
  curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
}

void Multi::limit_connections(long n) {
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, n);
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, n);
  // Keep every connection in the cache (the default keeps 4x the handles,
  // but a short exchange's handle may be gone by the time it is trimmed).
  curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, n);
}

void Multi::multiplex(long streams) {
  curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_CONCURRENT_STREAMS, streams);
}

void Multi::add(Exchange& exchange) {
  CURLMcode mc = curl_multi_add_handle(multi_.get(), exchange.easy_.get());
  if (mc != CURLM_OK)
    throw Error(ErrorKind::internal, std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc));
}

void Multi::remove(Exchange& exchange) {
  curl_multi_remove_handle(multi_.get(), exchange.easy_.get());
}

bool Multi::perform(int& running) {
  CURLMcode mc = curl_multi_perform(multi_.get(), &running);
  if (mc == CURLM_OK) return true;
  error_ = std::string("curl multi: ") + curl_multi_strerror(mc);
  return false;
}

bool Multi::poll(int timeout_ms) {
  CURLMcode mc = curl_multi_poll(multi_.get(), nullptr, 0, timeout_ms, nullptr);
  if (mc == CURLM_OK) return true;
  error_ = std::string("curl multi: ") + curl_multi_strerror(mc);
  return false;
}

bool Multi::poll(int timeout_ms, const std::vector<Multi*>& others) {
  // Reused: the run loop waits many times per transfer.
  thread_local std::vector<curl_waitfd> extra;
  extra.clear();
  long timeout = timeout_ms;
  for (Multi* other : others) {
    fd_set readable, writable, failed;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    FD_ZERO(&failed);
    int highest = -1;
    if (curl_multi_fdset(other->multi_.get(), &readable, &writable, &failed, &highest) != CURLM_OK) continue;
    for (int fd = 0; fd <= highest; ++fd) {
      short events = 0;
      if (FD_ISSET(fd, &readable)) events |= CURL_WAIT_POLLIN;
      if (FD_ISSET(fd, &writable)) events |= CURL_WAIT_POLLOUT;
      if (events != 0) extra.push_back(curl_waitfd{fd, events, 0});
    }
    long next = -1;
    if (curl_multi_timeout(other->multi_.get(), &next) == CURLM_OK && next >= 0 && next < timeout) timeout = next;
  }
  CURLMcode mc = curl_multi_poll(multi_.get(), extra.data(), static_cast<unsigned>(extra.size()),
                                 static_cast<int>(timeout), nullptr);
  if (mc == CURLM_OK) return true;
  error_ = std::string("curl multi: ") + curl_multi_strerror(mc);
  return false;
}

std::optional<Multi::Done> Multi::next_done() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Exchange* exchange = nullptr;
    if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &exchange) != CURLE_OK || !exchange) continue;
    return Done{exchange, exchange->outcome_of(msg->data.result)};
  }
  return std::nullopt;
}

}  // namespace haul::http_client
