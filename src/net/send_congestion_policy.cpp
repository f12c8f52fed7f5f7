#include "net/send_congestion.hpp"

#include <algorithm>

namespace haul::net {

SendChoice choose_send_congestion(const BurstFacts& f) {
  // The kernel's own test (tcp_slow_start_after_idle_check): idle > RTO. A
  // connection that has sent nothing is not idle, it is new.
  uint64_t window_bytes = uint64_t{f.cwnd_segments} * f.mss;
  const bool big = f.bytes > std::max(window_bytes, cubic_burst_min);
  if (f.bytes_sent > 0 && f.rto_us > 0 && uint64_t{f.idle_ms} * 1000 > f.rto_us) return {"bbr", !big};
  // Beyond the window and beyond 1 MiB, the burst must probe for bandwidth.
  if (f.bytes > std::max(window_bytes, cubic_burst_min)) return {"bbr", false};
  return {"cubic", false};
}

}  // namespace haul::net
