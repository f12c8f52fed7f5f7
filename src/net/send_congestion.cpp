#include "net/send_congestion.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

namespace haul::net {

bool set_congestion(int fd, const std::string& name) {
  return ::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name.data(), static_cast<socklen_t>(name.size())) == 0;
}

namespace {

BurstFacts facts_of(const TcpInfo& info, uint64_t bytes) {
  return BurstFacts{bytes,           info.last_data_sent_ms,  info.rto_us, info.snd_cwnd, info.snd_mss,
                    info.bytes_sent, info.congestion == "bbr"};
}

// Setting the name in force is a no-op in the kernel: pass via cubic, and
// the kernel initialises the algorithm afresh (keeping the window).
bool restart_congestion(int fd, const std::string& name) {
  set_congestion(fd, "cubic");
  return set_congestion(fd, name);
}

}  // namespace

bool restart_bbr_while_sending(int fd) {
  auto info = read_tcp_info(fd);
  return info && takes_freed_bandwidth_by_restart(*info) && restart_congestion(fd, "bbr");
}

std::string keep_window_after_idle(int fd) {
  auto info = read_tcp_info(fd);
  if (!info) return "";
  if (!window_cut_due(facts_of(*info, 0))) return info->congestion;
  return set_congestion(fd, "bbr") ? "bbr" : info->congestion;
}

std::string set_send_congestion(int fd, uint64_t bytes) {
  auto info = read_tcp_info(fd);
  if (!info) return "";
  BurstFacts facts = facts_of(*info, bytes);
  SendChoice choice = choose_send_congestion(facts);
  if (choice.algorithm == info->congestion) {
    if (!choice.restart) return choice.algorithm;
    return restart_congestion(fd, choice.algorithm) ? choice.algorithm : info->congestion;
  }
  return set_congestion(fd, choice.algorithm) ? choice.algorithm : info->congestion;
}

}  // namespace haul::net
