#include "doctor/trace_format.hpp"

#include <fmt/format.h>

namespace haul::doctor {

TraceSample trace_sample(const net::TcpInfo& i, double t_ms) {
  TraceSample s;
  s.t_ms = t_ms;
  s.cwnd = i.snd_cwnd;
  s.bytes_in_flight = static_cast<uint64_t>(i.unacked) * i.snd_mss;
  s.delivery_rate_bps = i.delivery_rate_bps;
  s.rtt_us = i.rtt_us;
  s.retrans = i.total_retrans;
  return s;
}

std::string trace_csv_header() {
  return "t_ms,cwnd,bytes_in_flight,delivery_rate_bps,rtt_us,retrans\n";
}

std::string trace_csv_row(const TraceSample& s) {
  return fmt::format("{:.3f},{},{},{},{},{}\n", s.t_ms, s.cwnd, s.bytes_in_flight, s.delivery_rate_bps, s.rtt_us,
                     s.retrans);
}

namespace {
// gnuplot strings are single-quoted: double any quote inside.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}
}  // namespace

std::string trace_gnuplot_script(const std::string& csv, const std::string& png, const std::string& title) {
  return fmt::format(
      "set terminal pngcairo size 1000,900\n"
      "set output {png}\n"
      "set datafile separator ','\n"
      "set key top center horizontal outside\n"
      "set grid\n"
      "set yrange [0:*]\n"
      "set y2range [0:*]\n"
      "set multiplot layout 3,1 title {title}\n"
      "set ylabel 'segments'\n"
      "set y2label 'KiB in flight'\n"
      "set y2tics\n"
      "plot {csv} using 1:2 with lines title 'cwnd (segments)', "
      "{csv} using 1:($3/1024) axes x1y2 with lines title 'bytes in flight (KiB)'\n"
      "unset y2tics\n"
      "unset y2label\n"
      "set ylabel 'Mbit/s'\n"
      "plot {csv} using 1:($4/1e6) with lines title 'delivery rate'\n"
      "set ylabel 'ms'\n"
      "set xlabel 'time since start (ms)'\n"
      "set y2label 'segments'\n"
      "set y2tics\n"
      "plot {csv} using 1:($5/1000) with lines title 'rtt', {csv} using 1:6 axes x1y2 with steps title "
      "'retransmitted (total)'\n"
      "unset multiplot\n",
      fmt::arg("png", quoted(png)), fmt::arg("csv", quoted(csv)), fmt::arg("title", quoted(title)));
}

}  // namespace haul::doctor
