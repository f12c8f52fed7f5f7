#include "net/send_congestion.hpp"

#include <algorithm>

namespace haul::net {

namespace {

// The kernel's own test (tcp_slow_start_after_idle_check): idle > RTO. A
// connection that has sent nothing is not idle, it is new.
bool idle_past_rto(const BurstFacts& f) {
  return f.bytes_sent > 0 && f.rto_us > 0 && uint64_t{f.idle_ms} * 1000 > f.rto_us;
}

}  // namespace

bool window_cut_due(const BurstFacts& f) {
  return idle_past_rto(f) && !f.bbr_in_force;
}

bool takes_freed_bandwidth_by_restart(const TcpInfo& info) {
  return info.congestion == "bbr" && info.unacked > 0;
}

SendChoice choose_send_congestion(const BurstFacts& f) {
  uint64_t window_bytes = uint64_t{f.cwnd_segments} * f.mss;
  const bool big = f.bytes > std::max(window_bytes, cubic_burst_min);
  if (idle_past_rto(f)) return {"bbr", !big};
  // Beyond the window and beyond 1 MiB, the burst must probe for bandwidth.
  if (big) return {"bbr", false};
  // (A new socket on the host's default bbr has not run it yet: cubic.)
  if (f.bbr_in_force && f.bytes_sent > 0) return {"bbr", true};
  return {"cubic", false};
}

}  // namespace haul::net
