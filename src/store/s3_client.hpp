#pragma once
// Signed S3 requests over a pool of libcurl easy handles (the I/O half of
// the S3 store; signing and XML live in the sans-IO module s3/).
//
// Mechanism: each pooled handle keeps its own keep-alive connection (curl's
// per-handle connection cache), handles are reused LIFO so the most recently
// used, warmest connection goes first, and a keep-warm thread sends a cheap
// HEAD bucket on every handle idle for longer than keep_warm, because S3
// endpoints close idle connections after a few seconds. TCP_NODELAY is on.
// Policy: idempotent requests are retried on 5xx (503 SlowDown included),
// connection failures and timeouts, with exponential backoff and full
// jitter; a streaming GET only until its first body byte reached the sink.
//
// Thread-safe: perform() may be called from many threads at once.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "s3/sigv4.hpp"
#include "s3/store_url.hpp"

namespace haul::store::s3io {

struct ClientConfig {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{30000};  // whole request, except streaming GET/PUT bodies
  std::chrono::seconds stall_timeout{60};            // body transfers: abort below 1 byte/s for this long
  int max_attempts = 4;                              // first try + retries, idempotent requests only
  std::chrono::milliseconds backoff_base{100};
  std::chrono::milliseconds backoff_cap{2000};
  std::chrono::milliseconds keep_warm{4000};         // 0 disables the keep-warm thread
  size_t max_idle_handles = 64;
  size_t max_response_body = 16 << 20;               // XML answers and error bodies
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  const char* op = "";  // metric label: get, put, head, delete, list, ...
  std::string method;   // GET HEAD PUT POST DELETE
  std::string key;      // full object key (prefix included); empty: the bucket
  Headers query;        // raw names and values
  Headers headers;      // extra headers, all signed (range, x-amz-meta-...)
  std::span<const uint8_t> body;  // PUT and POST bodies (sent with Content-Length)
  bool idempotent = true;
};

struct Response {
  long status = 0;
  Headers headers;   // lower-case names
  std::string body;  // collected body (when not streamed to a sink)
  const std::string* header(std::string_view name) const;
};

// Streaming a successful (2xx) body: on_start is called once with the status
// and headers before the first byte (also for an empty body), then on_bytes
// with each chunk; either may return false to stop the transfer early.
struct BodyStream {
  std::function<bool(const Response&)> on_start;
  std::function<bool(std::span<const uint8_t>)> on_bytes;
};

class Client {
 public:
  Client(haul::s3::StoreUrl url, haul::s3::Credentials credentials, ClientConfig config = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request (with retries per policy) and returns the final
  // response, whatever its status: callers map 404 and friends. Throws
  // Error(backend_unavailable) when no HTTP answer came (refused, reset,
  // 5xx after the last retry is returned as a response, not thrown) and
  // Error(backend_timeout) on timeouts. With stream, a 2xx body goes there.
  Response perform(const Request& request, const BodyStream* stream = nullptr);

  const haul::s3::StoreUrl& url() const { return url_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);
  struct Attempt;
  Attempt attempt_once(Handle& handle, const Request& request, const BodyStream* stream);
  void keep_warm_loop();

  haul::s3::StoreUrl url_;
  haul::s3::Credentials credentials_;
  ClientConfig config_;

  std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;  // back = most recently used
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread keep_warm_;
};

}  // namespace haul::store::s3io
