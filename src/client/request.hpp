#pragma once
// One HTTP exchange with the gateway: what to send, where the body goes, and
// what came back. A Request is plain data; a pool (request_pool.hpp) runs it
// and fills in the results; a Driver (the transfer state machine) creates
// requests and decides what happens when they finish.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/io.hpp"
#include "client/report.hpp"
#include "client/retry.hpp"
#include "http_client/response_head.hpp"
#include "net/tcp_info.hpp"

namespace haul::client {

class Driver;

struct Request {
  // ---- set by the creator ----
  std::string method = "GET";        // GET HEAD PUT POST DELETE
  std::string path;                  // after the gateway URL, e.g. "/v1/objects/a%20b"
  std::vector<std::string> headers;  // extra "Name: value" lines
  std::string post_body;             // POST body (JSON); sent with Content-Length
  const Source* source = nullptr;    // PUT body: [source_offset, +source_length)
  uint64_t source_offset = 0, source_length = 0;
  Sink* sink = nullptr;  // 2xx GET body goes to sink at sink_offset + n; else captured in body
  uint64_t sink_offset = 0;
  int expect_status = 0;          // a 2xx other than this is an error (0: any 2xx)
  bool hash_body = false;         // SHA-256 of the body sent (PUT) or received (GET)
  bool idempotent = true;         // may be retried by the policy
  bool fresh_connection = false;  // a new connection, closed afterwards (bench --mode new)
  // A part, range or stripe of a big transfer: sent over an HTTP/1.1
  // connection of its own, never multiplexed with others (each connection's
  // window is its own loss domain; docs/client.md "HTTP/2").
  bool bulk = false;
  bool warmup = false;  // a pool warm-up request (no driver)
  // Its answer gates more requests (a listing page: the next downloads and
  // the next page wait for it). Over HTTP/2 it gets a connection that other
  // streams avoid while it is in flight, so its answer is not queued behind
  // theirs in one congestion window (docs/client.md "HTTP/2").
  bool gating = false;
  // A JSON answer (a listing) may come in gzip: 1000 keys under one prefix
  // are ~50 KB of JSON and ~3 KB compressed, one window of a fresh
  // connection instead of four. Decoded before it reaches `body`.
  bool accept_gzip = false;
  // Sent only over a connection whose RTT is at least this (0: any); else
  // abandoned before a byte goes out (Failure::local, declined). Stripes use
  // it: on a short path their extra requests cost more than the round trips
  // they save.
  uint32_t min_rtt_us = 0;
  // A 2xx body stops after this many bytes (0: no limit). Its driver may
  // lower it while the request is in flight: a download splits the slowest
  // range at its tail (get_op.hpp). Stopping closes the connection.
  uint64_t stop_after = 0;
  Driver* owner = nullptr;  // the driver that receives it when done
  uint32_t tag = 0;         // driver's own use (part number)
  unsigned attempt = 1;
  std::chrono::steady_clock::time_point not_before{};  // backoff: start no earlier

  // ---- results, filled by the pool ----
  Failure failure = Failure::none;
  std::string error;      // one line when failure != none
  bool declined = false;  // abandoned for min_rtt_us: nothing sent
  int status = 0;
  std::string body;                       // JSON answers and error bodies (capped at 1 MiB)
  http_client::Headers response_headers;  // lower-case names, final response only
  uint64_t body_bytes_sent = 0, body_bytes_received = 0;
  std::string digest;  // hex SHA-256 of the body when hash_body
  Timings timings;
  long connections_opened = 0;                          // connections opened for it (0: a reused one)
  int local_port = 0;                                   // its connection's, once a byte is about to go out
  bool stopped_at_limit = false;                        // the body ended at stop_after (failure local, error says so)
  std::chrono::system_clock::time_point launched_at{};  // this attempt's start (--trace)
  std::optional<net::TcpInfo> tcp;                      // of its connection, just after it ended

  Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // Clears results so the request can be started again (a retry).
  void reset_results();
  bool ok() const { return failure == Failure::none; }
  // Header value or "" (name lower-case; the first of repeated fields).
  std::string header(std::string_view name) const;
};

// The state machine of one operation (or a group of them). The pool loop calls
// next() while it has room, and done() with each finished request; finished()
// ends the loop once nothing is in flight.
class Driver {
 public:
  virtual ~Driver() = default;
  // A request to start now, or nullptr when nothing is ready (waiting for
  // answers or a backoff). The request's owner must be set.
  virtual std::unique_ptr<Request> next() = 0;
  virtual void done(std::unique_ptr<Request> request) = 0;
  virtual bool finished() const = 0;
  // Called once when the user interrupts (SIGINT): stop starting new work,
  // clean up (abort an upload) and finish with an error.
  virtual void interrupt() {}
  // When next() may have a request that it has not now, without any answer
  // arriving (a deadline of the driver's own); the pool asks again by then.
  virtual std::optional<std::chrono::steady_clock::time_point> wake_at() const { return std::nullopt; }
};

// Holds requests waiting for their backoff to pass; hands out the ready ones.
class RetryQueue {
 public:
  void push(std::unique_ptr<Request> r) { waiting_.push_back(std::move(r)); }
  std::unique_ptr<Request> pop_ready(std::chrono::steady_clock::time_point now);
  bool empty() const { return waiting_.empty(); }
  void clear() { waiting_.clear(); }

 private:
  std::vector<std::unique_ptr<Request>> waiting_;
};

// Applies the policy: when the failed request may be retried, it is reset,
// scheduled after the backoff (http_client::backoff) and moved into `queue`
// (r becomes null) and true is returned.
bool schedule_retry(std::unique_ptr<Request>& r, const RetryPolicy& policy, RetryQueue& queue);

// Percent-encodes an object key for the URL path ('/' kept), or a query value.
std::string encode_key(const std::string& key);
std::string encode_query(const std::string& value);

}  // namespace haul::client
