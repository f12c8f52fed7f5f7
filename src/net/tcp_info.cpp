#include "net/tcp_info.hpp"

#include <netinet/in.h>
#include <linux/tcp.h>  // the kernel's tcp_info (glibc's lacks delivery_rate and friends)
#include <sys/socket.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace haul::net {

std::optional<TcpInfo> read_tcp_info(int fd) {
  struct tcp_info raw;
  std::memset(&raw, 0, sizeof raw);
  socklen_t len = sizeof raw;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &raw, &len) != 0) return std::nullopt;
  TcpInfo info;
  info.state = raw.tcpi_state;
  info.rtt_us = raw.tcpi_rtt;
  info.rttvar_us = raw.tcpi_rttvar;
  info.min_rtt_us = raw.tcpi_min_rtt;
  info.snd_cwnd = raw.tcpi_snd_cwnd;
  info.snd_ssthresh = raw.tcpi_snd_ssthresh;
  info.snd_mss = raw.tcpi_snd_mss;
  info.rcv_space = raw.tcpi_rcv_space;
  info.unacked = raw.tcpi_unacked;
  info.retrans = raw.tcpi_retrans;
  info.total_retrans = raw.tcpi_total_retrans;
  info.lost = raw.tcpi_lost;
  info.delivery_rate_bps = raw.tcpi_delivery_rate * 8;
  info.bytes_acked = raw.tcpi_bytes_acked;
  info.bytes_received = raw.tcpi_bytes_received;
  info.bytes_sent = raw.tcpi_bytes_sent;
  info.bytes_retrans = raw.tcpi_bytes_retrans;
  info.segs_out = raw.tcpi_segs_out;
  info.segs_in = raw.tcpi_segs_in;
  info.fastopen_used = (raw.tcpi_options & TCPI_OPT_SYN_DATA) != 0;
  info.window_scaling = (raw.tcpi_options & TCPI_OPT_WSCALE) != 0;
  info.sack = (raw.tcpi_options & TCPI_OPT_SACK) != 0;
  info.timestamps = (raw.tcpi_options & TCPI_OPT_TIMESTAMPS) != 0;
  info.snd_wscale = raw.tcpi_snd_wscale;
  info.rcv_wscale = raw.tcpi_rcv_wscale;
  char cc[32] = {};
  socklen_t cc_len = sizeof cc - 1;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &cc_len) == 0) info.congestion.assign(cc, strnlen(cc, cc_len));
  return info;
}

std::string tcp_info_json(const TcpInfo& i) {
  nlohmann::json j = {
      {"state", i.state},
      {"rtt_us", i.rtt_us},
      {"rttvar_us", i.rttvar_us},
      {"min_rtt_us", i.min_rtt_us},
      {"snd_cwnd", i.snd_cwnd},
      {"snd_ssthresh", i.snd_ssthresh},
      {"snd_mss", i.snd_mss},
      {"rcv_space", i.rcv_space},
      {"unacked", i.unacked},
      {"retrans", i.retrans},
      {"total_retrans", i.total_retrans},
      {"lost", i.lost},
      {"delivery_rate_bps", i.delivery_rate_bps},
      {"bytes_acked", i.bytes_acked},
      {"bytes_received", i.bytes_received},
      {"bytes_sent", i.bytes_sent},
      {"bytes_retrans", i.bytes_retrans},
      {"segs_out", i.segs_out},
      {"segs_in", i.segs_in},
      {"fastopen_used", i.fastopen_used},
      {"window_scaling", i.window_scaling},
      {"sack", i.sack},
      {"timestamps", i.timestamps},
      {"snd_wscale", i.snd_wscale},
      {"rcv_wscale", i.rcv_wscale},
      {"congestion", i.congestion},
  };
  return j.dump();
}

}  // namespace haul::net
