#include "net/send_congestion.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

namespace haul::net {

bool set_congestion(int fd, const std::string& name) {
  return ::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name.data(), static_cast<socklen_t>(name.size())) == 0;
}

SendChoice choose_send_congestion(const BurstFacts& f) {
  // The kernel's own test (tcp_slow_start_after_idle_check): idle > RTO. A
  // connection that has sent nothing is not idle, it is new.
  if (f.bytes_sent > 0 && f.rto_us > 0 && uint64_t{f.idle_ms} * 1000 > f.rto_us) return {"bbr", true};
  // Beyond the window and beyond 1 MiB, the burst must probe for bandwidth.
  uint64_t window_bytes = uint64_t{f.cwnd_segments} * f.mss;
  if (f.bytes > std::max(window_bytes, cubic_burst_min)) return {"bbr", false};
  return {"cubic", false};
}

std::string set_send_congestion(int fd, uint64_t bytes) {
  auto info = read_tcp_info(fd);
  if (!info) return "";
  BurstFacts facts{bytes, info->last_data_sent_ms, info->rto_us, info->snd_cwnd, info->snd_mss, info->bytes_sent};
  SendChoice choice = choose_send_congestion(facts);
  if (choice.algorithm == info->congestion) {
    if (!choice.restart) return choice.algorithm;
    // Setting the name in force is a no-op in the kernel: pass via cubic.
    set_congestion(fd, "cubic");
  }
  return set_congestion(fd, choice.algorithm) ? choice.algorithm : info->congestion;
}

}  // namespace haul::net
