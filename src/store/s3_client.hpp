#pragma once
// Signed S3 requests over a pool of handles of the libcurl layer (the I/O
// half of the S3 store; signing and XML live in the sans-IO module s3/,
// libcurl behind src/http_client/).
//
// Mechanism: each pooled handle keeps its own keep-alive connection (its own
// connection cache), handles are reused LIFO so the most recently used,
// warmest connection goes first, and a keep-warm thread sends a cheap HEAD
// bucket on every handle idle for longer than keep_warm, because S3
// endpoints close idle connections after a few seconds. TCP_NODELAY is on.
// Policy: http_client::RetryPolicy, haul's one retry policy: idempotent
// requests are repeated on 500/502/503/504 (503 SlowDown included) and 429,
// connection failures and timeouts, with exponential backoff and jitter; a
// pulled GET only until its headers are in. Every attempt counts in the
// store's metrics (s3_metrics.hpp), labelled with its name.
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

#include "http_client/response_head.hpp"
#include "http_client/retry.hpp"
#include "s3/sigv4.hpp"
#include "s3/store_url.hpp"

namespace haul::store {
class S3StoreMetrics;  // s3_metrics.hpp
}

namespace haul::store::s3io {

struct ClientConfig {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{30000};  // whole request, except streaming GET/PUT bodies
  std::chrono::seconds stall_timeout{60};            // body transfers: abort below 1 byte/s for this long
  // First try + retries (idempotent requests only); pauses 100 ms doubling
  // up to 2 s, each drawn from its upper three quarters; S3's 500
  // InternalError is transient.
  http_client::RetryPolicy retry{4, std::chrono::milliseconds(100), std::chrono::milliseconds(2000), 0.75, true};
  std::chrono::milliseconds keep_warm{4000};  // 0 disables the keep-warm thread
  size_t max_idle_handles = 64;
  size_t max_response_body = 16 << 20;  // XML answers and error bodies
  std::string store_name = "default";   // the metrics' store label (--store NAME=URL)
};

using Headers = http_client::Headers;

struct Request {
  const char* op = "";            // metric label: get, put, head, delete, list, ...
  std::string method;             // GET HEAD PUT POST DELETE
  std::string key;                // full object key (prefix included); empty: the bucket
  Headers query;                  // raw names and values
  Headers headers;                // extra headers, all signed (range, x-amz-meta-...)
  std::span<const uint8_t> body;  // PUT and POST bodies (sent with Content-Length)
  bool idempotent = true;
};

struct Response {
  long status = 0;
  Headers headers;   // lower-case names
  std::string body;  // collected body (when not streamed to a sink)
  const std::string* header(std::string_view name) const;
};

struct Handle;
class Transfer;
class Client;

// A GET whose 2xx body the caller pulls a piece at a time (Client::open_body).
// Holds a pooled handle until destroyed; between reads nothing drives the
// transfer, so only its connection waits. One caller at a time.
class BodyTransfer {
 public:
  // Before the end of the body: a short rest (<= 256 KiB) is read and
  // dropped to keep the connection, a longer one costs it (curl closes it).
  // Either may block briefly: destroy off I/O threads.
  ~BodyTransfer();
  BodyTransfer(const BodyTransfer&) = delete;
  BodyTransfer& operator=(const BodyTransfer&) = delete;

  // Status and headers. A non-2xx status comes with its (bounded) body.
  const Response& response() const;
  // Fills out with the next body bytes; fewer only at the end (0: the end,
  // or a non-2xx answer). Throws Error(backend_unavailable /
  // backend_timeout) when the transfer breaks midway.
  size_t read(std::span<uint8_t> out);

 private:
  friend class Client;
  BodyTransfer(Client& client, std::unique_ptr<Handle> handle, std::unique_ptr<Transfer> transfer);
  Client& client_;
  std::unique_ptr<Handle> handle_;
  std::unique_ptr<Transfer> transfer_;
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
  // Error(backend_timeout) on timeouts.
  Response perform(const Request& request);
  // Like perform, but returns once the final response's headers are in; a
  // 2xx body is then pulled with read(). Retries happen only before that.
  // The client must outlive the transfer.
  std::unique_ptr<BodyTransfer> open_body(const Request& request);

  const haul::s3::StoreUrl& url() const { return url_; }

 private:
  friend class BodyTransfer;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);
  // After an attempt that ended: true when the policy repeats it (after the
  // backoff pause, taken here); throws when it failed for good.
  bool retry_after(const Request& request, const Transfer& transfer, unsigned attempt);
  void count_attempt(std::string_view op, const Transfer& transfer);
  void keep_warm_loop();

  haul::s3::StoreUrl url_;
  haul::s3::Credentials credentials_;
  ClientConfig config_;
  S3StoreMetrics& metrics_;

  std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;  // back = most recently used
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread keep_warm_;
};

}  // namespace haul::store::s3io
