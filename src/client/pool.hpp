#pragma once
// The connection pool for one gateway: one libcurl multi handle whose
// connection cache every transfer of the process shares. Mechanism only:
// which requests run and what a failure means is the drivers' and the retry
// policy's business.
//
//  - at most `connections` TCP connections to the gateway
//    (CURLMOPT_MAX_HOST_CONNECTIONS); requests beyond that wait inside libcurl
//    for a free connection instead of opening more;
//  - the cache keeps them all (CURLMOPT_MAXCONNECTS), so a connection opened
//    by the first transfer carries the last one, with its congestion window;
//  - warm(n) opens n connections in parallel (cheap GET /healthz) alongside
//    the first real requests, so their handshakes overlap and the real
//    transfer never waits behind a warm-up;
//  - every socket option is set in one place, configure_socket(), except
//    the congestion control of --congestion auto, chosen per request in
//    before_request().

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/config.hpp"
#include "client/request.hpp"
#include "net/tcp_info.hpp"

namespace haul::client {

// Bytes moved, for the progress bar (updated from the curl callbacks).
struct Progress {
  std::atomic<uint64_t> total{0};
  std::atomic<uint64_t> done{0};
};

class Pool {
 public:
  explicit Pool(const ClientConfig& config);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Queues n GET /healthz to start with the next run(), after the driver's
  // first requests, bounded so the total stays within `connections`.
  void warm(unsigned n) { warm_pending_ += n; }

  // Runs the driver to completion: at most max_inflight requests handed to
  // libcurl at once. `tick` (optional) runs about every 100 ms (progress bar).
  void run(Driver& driver, unsigned max_inflight, const std::function<void()>& tick = {});

  // No connection opened yet: the next transfer starts from cold.
  bool cold() const { return connections_opened_ == 0 && sockets_.empty() && in_flight_.empty(); }
  // Allows n connections (stripes of a cold upload) until narrow() brings the
  // limit back to `connections` (libcurl closes the extra idle ones as it
  // trims its cache).
  void widen(unsigned n);
  void narrow();
  // Sum of CURLINFO_NUM_CONNECTS of every request run (warm-ups included).
  long connections_opened() const { return connections_opened_; }
  // The path's round trip: the smallest the kernel measured on any of this
  // pool's connections so far, else the hint (path_memory.hpp), else nullopt.
  std::optional<uint32_t> path_rtt_us() const { return measured_rtt_us_ ? measured_rtt_us_ : rtt_hint_us_; }
  std::optional<uint32_t> measured_rtt_us() const { return measured_rtt_us_; }
  void set_rtt_hint(std::optional<uint32_t> rtt_us) { rtt_hint_us_ = rtt_us; }
  const ClientConfig& config() const { return config_; }
  std::string url(const std::string& path) const { return config_.gateway + path; }
  Progress& progress() { return progress_; }

  // Set by a SIGINT handler; run() then interrupts its driver once.
  static std::atomic<bool>& interrupt_flag();

  // ---- used by the libcurl callbacks (pool.cpp) ----
  void on_socket_closing(int fd);
  int configure_socket(int fd);
  // False: the request is not sent (its connection is shorter than r->min_rtt_us).
  bool before_request(Request* r, int local_port);

 private:
  void start(std::unique_ptr<Request> r);
  void finish(Request* r, int curl_code);
  void start_warmups(unsigned room);
  void interrupt_all(Driver& driver);

  ClientConfig config_;
  void* multi_ = nullptr;     // CURLM*
  bool fastopen_ = false;
  unsigned warm_pending_ = 0;
  long connections_opened_ = 0;
  std::optional<uint32_t> rtt_hint_us_;
  std::optional<uint32_t> measured_rtt_us_;
  void measured(const net::TcpInfo& info);
  std::optional<net::TcpInfo> last_closed_tcp_;  // TCP_INFO read just before libcurl closed a socket
  std::vector<std::unique_ptr<Request>> in_flight_;
  // Open connections and their local ports (0 until first looked up): the
  // pre-request callback names a request's connection only by that port.
  struct OpenSocket {
    int fd;
    int local_port;
  };
  std::vector<OpenSocket> sockets_;
  std::vector<void*> idle_easies_;  // CURL* kept for reuse (curl_easy_reset between requests)
  Progress progress_;
  bool interrupted_ = false;
};

// True when /proc/sys/net/ipv4/tcp_fastopen has the client bit (1) set.
bool kernel_allows_client_fastopen();

}  // namespace haul::client
