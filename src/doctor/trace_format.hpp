#pragma once
// `haul doctor trace` output, sans-IO: one CSV row per TCP_INFO sample and
// the gnuplot script that draws cwnd, bytes in flight and delivery rate.

#include <cstdint>
#include <string>

#include "net/tcp_info.hpp"

namespace haul::doctor {

struct TraceSample {
  double t_ms = 0;               // since the transfer started
  uint32_t cwnd = 0;             // segments
  uint64_t bytes_in_flight = 0;  // unacked segments x mss
  uint64_t delivery_rate_bps = 0;
  uint32_t rtt_us = 0;
  uint32_t retrans = 0;  // total retransmitted segments so far
};

TraceSample trace_sample(const net::TcpInfo& info, double t_ms);

// "t_ms,cwnd,bytes_in_flight,delivery_rate_bps,rtt_us,retrans"
std::string trace_csv_header();
std::string trace_csv_row(const TraceSample& sample);

// A gnuplot script reading `csv_path` and writing `png_path`: three stacked
// plots (cwnd and bytes in flight; delivery rate; RTT and retransmits).
std::string trace_gnuplot_script(const std::string& csv_path, const std::string& png_path, const std::string& title);

}  // namespace haul::doctor
