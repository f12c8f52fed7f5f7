#pragma once
// What the transfer state machines (Drivers: PutOp, GetOp, SimpleOp, the
// trees) and client.cpp see of a connection pool: it runs their requests,
// at most max_inflight at once, and hands each back finished to its owner's
// done(). The run loop (filling, warm-ups, interrupt, progress ticks) lives
// here once; how requests travel is a subclass's: the libcurl pool
// (pool.hpp) or a scripted one in the tests (scripted_pool.hpp), which runs
// the same drivers without sockets.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/config.hpp"
#include "client/path_rtt.hpp"
#include "client/request.hpp"
#include "client/retry.hpp"
#include "client/trace.hpp"

namespace haul::client {

// Bytes moved, for the progress bar (updated from the transfer callbacks).
struct Progress {
  std::atomic<uint64_t> total{0};
  std::atomic<uint64_t> done{0};
};

class RequestPool {
 public:
  virtual ~RequestPool() = default;
  RequestPool(const RequestPool&) = delete;
  RequestPool& operator=(const RequestPool&) = delete;

  // Runs the driver to completion: its requests first, at most max_inflight
  // of them at once, then the queued warm-ups in the room left up to
  // `connections`. `tick` (optional) runs about every 100 ms (progress bar).
  void run(Driver& driver, unsigned max_inflight, const std::function<void()>& tick = {});
  // Queues n GET /healthz to start with the next run(), after the driver's
  // first requests, bounded so the total stays within `connections`.
  void warm(unsigned n) { warm_pending_ += n; }
  // The next run() starts with a GET /healthz stream on every HTTP/2
  // connection the streams spread over (stream_connections()), before the
  // driver's first request: their handshakes start at once (a tree download
  // lists first; its downloads then find them open), and their sockets get
  // descriptors below the files a tree opens (Pool::wait needs them below
  // FD_SETSIZE).
  void warm_streams() { warm_streams_pending_ = true; }

  // No connection opened yet: the next transfer starts from cold.
  virtual bool cold() const = 0;
  // Allows n connections (stripes of a cold upload) until narrow() brings the
  // limit back to `connections`.
  virtual void widen(unsigned n) = 0;
  virtual void narrow() = 0;
  // HTTP/2 connections the streams are spread over (each has its own
  // SETTINGS to wait for: run()'s cap before them is per connection).
  virtual unsigned stream_connections() const { return 1; }

  // Connections opened by every request run so far (warm-ups included).
  long connections_opened() const { return connections_opened_; }
  // The path's round trip: the smallest measured on any of this pool's
  // connections so far, else the hint (path_memory.hpp), else nullopt.
  std::optional<uint32_t> path_rtt_us() const { return path_.best_us(); }
  std::optional<uint32_t> measured_rtt_us() const { return path_.measured_us(); }
  void set_rtt_hint(std::optional<uint32_t> rtt_us) { path_.set_hint(rtt_us); }
  const ClientConfig& config() const { return config_; }
  RetryPolicy retry_policy() const { return client::retry_policy(config_); }
  Progress& progress() { return progress_; }

  // Set by a SIGINT handler; run() then interrupts its driver once.
  static std::atomic<bool>& interrupt_flag();

 protected:
  // Throws Error(config) when config.trace_file cannot be opened.
  explicit RequestPool(const ClientConfig& config);

  // ---- how requests travel (run() calls these) ----
  // Takes a request and sets it going.
  virtual void start(std::unique_ptr<Request> r) = 0;
  // Moves the started requests along without waiting and returns the ones
  // that ended, their results filled in (Request "results" fields).
  virtual std::vector<std::unique_ptr<Request>> collect() = 0;
  // Waits up to timeout_ms for something to happen to a started request.
  virtual void wait(int timeout_ms) = 0;
  // Stops every started request and gives them back, unfinished.
  virtual std::vector<std::unique_ptr<Request>> cancel_all() = 0;
  // The upload bodies bbr sends (parts beyond net::cubic_burst_min) in
  // flight have fallen to half of the most since the last call: the tail of
  // a parallel upload, where the connections still sending should take the
  // bandwidth the finished ones left (net::restart_bbr_while_sending says
  // why). Called after the driver had its chance to start more.
  virtual void bulk_senders_halved() {}

  ClientConfig config_;
  PathRtt path_;
  Progress progress_;

 private:
  void launch(std::unique_ptr<Request> r);
  // The in-flight counts after r ended or was cancelled.
  void landed(const Request& r);
  void start_warmups(unsigned room);
  // One warm-up (stream or HTTP/1.1 connection).
  void launch_warmup(bool stream);
  void interrupt_all(Driver& driver);

  std::optional<TraceFile> trace_;  // --trace
  size_t in_flight_ = 0, warmups_in_flight_ = 0;
  size_t bulk_in_flight_ = 0;  // parts, ranges, stripes (not warm-ups)
  // Upload bodies bbr sends, in flight, and the most of them since the last
  // bulk_senders_halved() (0 once none is in flight).
  size_t bulk_sends_ = 0, bulk_sends_peak_ = 0;
  unsigned warm_pending_ = 0;
  bool warm_streams_pending_ = false;
  long connections_opened_ = 0;
  bool interrupted_ = false;
  // A stream (not a part, range or stripe) has had an answer: over HTTP/2
  // the gateway's SETTINGS are in (run()'s cap before them, config.hpp). A
  // connection reopened later starts without them, the cap not again: trees
  // run on one connection from start to end.
  bool streams_answered_ = false;
};

}  // namespace haul::client
