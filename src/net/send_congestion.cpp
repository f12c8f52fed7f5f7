#include "net/send_congestion.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace haul::net {

bool set_congestion(int fd, const std::string& name) {
  return ::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name.data(), static_cast<socklen_t>(name.size())) == 0;
}

SendChoice choose_send_congestion(const BurstFacts& f) {
  bool used = f.bytes_sent > 0;
  // The kernel's own test (tcp_slow_start_after_idle_check): idle > RTO.
  if (used && f.rto_us > 0 && uint64_t{f.idle_ms} * 1000 > f.rto_us) return {"bbr", true};
  // A fresh connection starts from the initial window either way. Up to
  // 1 MiB cubic's slow start was as fast or faster (first 1 MiB: 1623 vs
  // 1707 ms) and leaves the socket unpaced; a longer burst goes to bbr,
  // because under loss cubic's probing collapses (1 % loss: 0.8 Mbit/s).
  if (!used) return {f.bytes > fresh_cubic_max ? "bbr" : "cubic", false};
  // More than the window: the burst must probe for bandwidth.
  uint64_t window_bytes = uint64_t{f.cwnd_segments} * f.mss;
  if (window_bytes > 0 && f.bytes > window_bytes) return {"bbr", false};
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
