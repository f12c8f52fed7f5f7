#include "net/tcp_info_kernel.hpp"

#include <netinet/in.h>
#include <linux/tcp.h>  // the kernel's tcp_info, as net/tcp_info.cpp uses

#include <algorithm>
#include <cstring>

namespace haul::net {

TcpInfo tcp_info_from_kernel(const void* data, size_t len, std::string congestion) {
  struct tcp_info raw;
  std::memset(&raw, 0, sizeof raw);
  std::memcpy(&raw, data, std::min(len, sizeof raw));
  TcpInfo info;
  info.state = raw.tcpi_state;
  info.rtt_us = raw.tcpi_rtt;
  info.rttvar_us = raw.tcpi_rttvar;
  info.min_rtt_us = raw.tcpi_min_rtt;
  info.rto_us = raw.tcpi_rto;
  info.last_data_sent_ms = raw.tcpi_last_data_sent;
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
  info.congestion = std::move(congestion);
  return info;
}

}  // namespace haul::net
