#pragma once
// One direction of the relay: a thread that reads IP packets from one TUN
// fd, passes them through a Link (sans-IO model) and writes each to the other
// TUN fd at its due time. Waiting is ppoll() on the input and a stop eventfd
// until ~spin before the next due time, then a short spin (that still reads
// arrivals), so packets leave within microseconds of their due time.
// The thread asks for SCHED_FIFO (on 2 cores the endpoints otherwise starve
// it at Gbit rates) and logs one line if it cannot have it.

#include <atomic>
#include <string>
#include <thread>

#include "netem/link.hpp"

namespace haul::netem {

struct ForwarderStats {
  LinkStats link;
  uint64_t write_errors = 0;   // TUN write failed (packet lost)
  uint64_t late_ns_total = 0;  // sum over written packets of (write time - due)
  uint64_t late_ns_max = 0;
  uint64_t late_over_1ms = 0;  // packets written more than 1 ms after due
  bool realtime = false;       // got SCHED_FIFO
};

class Forwarder {
 public:
  // Does not own the fds; they must outlive stop(). `label` names the
  // direction in logs ("client->server").
  Forwarder(std::string label, int in_fd, int out_fd, const LinkConfig& config);
  ~Forwarder();  // stops and joins
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  void start();
  // Asks the thread to finish and joins it; idempotent. Packets still in the
  // link are discarded.
  void stop();
  // Valid after stop().
  const ForwarderStats& stats() const { return stats_; }
  const std::string& label() const { return label_; }

 private:
  void run();
  void read_available();
  void write_due(Time now);

  std::string label_;
  int in_fd_;
  int out_fd_;
  int stop_fd_;
  Link link_;
  std::deque<TimedPacket> ready_;
  std::vector<uint8_t> buffer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  ForwarderStats stats_;
};

}  // namespace haul::netem
