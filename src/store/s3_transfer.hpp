#pragma once
// One S3 request on one pooled handle: the mechanism under s3io::Client
// (which adds the pool and the retry policy). Internal to the S3 store.
//
// The transfer is driven on the calling thread through the handle's own
// Multi (the libcurl layer, http_client/multi.hpp) rather than a blocking
// perform, so it can stop at any point: at the response headers, or whenever
// a pulled body has filled the caller's buffer. Between two read() calls
// nothing drives it, so libcurl leaves the socket alone and TCP holds the
// backend back: a slow reader of the body costs an idle connection, not a
// thread. (libcurl measures its low-speed limit only while driven; the gap
// between reads does not trip it.)

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "http_client/exchange.hpp"
#include "http_client/multi.hpp"
#include "store/s3_client.hpp"

namespace haul::store::s3io {

// An exchange and the Multi that drives it. The Multi owns the connection
// cache, so the handle's warm connection serves every request made on it,
// pulled or not. Used by one thread at a time.
struct Handle {
  http_client::Multi multi;  // declared first: outlives the exchange
  http_client::Exchange exchange;
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
};

class Transfer final : public http_client::Handler {
 public:
  // Prepares the handle's exchange for request, signed with credentials
  // now, and adds it to the handle's Multi (nothing is sent before the
  // first run). With pull, a 2xx body is handed out by read(); otherwise it
  // is collected in response().body (at most config.max_response_body
  // bytes, or the transfer fails). The handle and request.body must outlive
  // the transfer.
  Transfer(Handle& handle, const haul::s3::StoreUrl& url, const haul::s3::Credentials& credentials,
           const ClientConfig& config, const Request& request, bool pull);
  // Detaches the exchange: a transfer not yet ended is abandoned (its
  // connection closed).
  ~Transfer() override;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Runs until the transfer ends.
  void run();
  // Runs until the final response's status and headers are in, or the end.
  void run_to_headers();

  bool ended() const { return ended_; }
  // How it ended (once ended): Failure::none when an answer came, whatever its status.
  const http_client::Outcome& outcome() const { return outcome_; }
  const Response& response() const { return response_; }
  Response& response() { return response_; }
  bool body_is_pulled() const;  // pull, and a 2xx answer
  // Connections opened for this transfer so far (0 when reused).
  long connections_opened() const { return handle_.exchange.connections_opened(); }

  // Pull mode: fills out with the body's next bytes, fewer only at its end.
  // Throws Error(backend_timeout / backend_unavailable) when the transfer
  // failed.
  size_t read(std::span<uint8_t> out);
  // Pull mode: when at most limit body bytes remain, reads and drops them so
  // the connection can serve the next request. True when the transfer then
  // ended cleanly.
  bool drain(uint64_t limit);

  // The haul::Error for a transfer that ended without an HTTP answer (or
  // broke inside one); detail says when ("after 2 attempts").
  [[noreturn]] void throw_failure(const std::string& detail) const;

 private:
  Take on_body(const http_client::ResponseHead& head, std::string_view data) override;
  void drive(const std::function<bool()>& until);
  void finish();
  void resume();
  // Status and headers of the response so far into response_.
  void take_head();

  Handle& handle_;
  std::string op_;
  std::string host_;
  bool ended_ = false;
  http_client::Outcome outcome_;

  Response response_;
  size_t max_body_ = 0;

  // Pull mode.
  bool pull_ = false;
  bool paused_ = false;        // on_body paused it (the caller was behind)
  bool discard_ = false;       // draining: drop what arrives
  std::span<uint8_t> target_;  // the caller's buffer during read()
  size_t target_filled_ = 0;
  std::vector<uint8_t> spill_;  // bytes of a chunk that did not fit the target
  uint64_t delivered_ = 0;      // body bytes handed over by libcurl
};

}  // namespace haul::store::s3io
