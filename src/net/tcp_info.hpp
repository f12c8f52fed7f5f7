#pragma once
// TCP_INFO of one connected socket (Linux), the numbers the seeds read with
// ss -ti: rtt, congestion window, retransmits, delivery rate.

#include <cstdint>
#include <optional>
#include <string>

namespace haul::net {

struct TcpInfo {
  uint8_t state = 0;    // TCP_ESTABLISHED, ...
  uint32_t rtt_us = 0;  // smoothed RTT
  uint32_t rttvar_us = 0;
  uint32_t min_rtt_us = 0;
  uint32_t rto_us = 0;             // retransmission timeout
  uint32_t last_data_sent_ms = 0;  // since the last data segment was sent
  uint32_t snd_cwnd = 0;           // segments
  uint32_t snd_ssthresh = 0;
  uint32_t snd_mss = 0;
  uint32_t rcv_space = 0;
  uint32_t unacked = 0;        // segments in flight
  uint32_t retrans = 0;        // currently retransmitting segments
  uint32_t total_retrans = 0;  // over the connection's life
  uint32_t lost = 0;
  uint64_t delivery_rate_bps = 0;  // bytes per second * 8
  uint64_t bytes_acked = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_retrans = 0;
  uint32_t segs_out = 0;
  uint32_t segs_in = 0;
  bool fastopen_used = false;   // TCPI_OPT_SYN_DATA: data went in the SYN
  bool window_scaling = false;  // TCPI_OPT_WSCALE
  bool sack = false;            // TCPI_OPT_SACK
  bool timestamps = false;      // TCPI_OPT_TIMESTAMPS
  uint8_t snd_wscale = 0;
  uint8_t rcv_wscale = 0;
  std::string congestion;  // TCP_CONGESTION of the socket ("bbr", "cubic")
};

// nullopt when fd is not a TCP socket or getsockopt fails.
std::optional<TcpInfo> read_tcp_info(int fd);

// JSON object text with every field above (used by the gateway's probe route,
// the client's --json output and doctor).
std::string tcp_info_json(const TcpInfo& info);

}  // namespace haul::net
