#include "client/report.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace haul::client {

std::string format_rate(uint64_t bytes, double ms) {
  if (ms <= 0) return "-";
  double bps = static_cast<double>(bytes) * 1000.0 / ms;
  if (bps >= 1e9) return fmt::format("{:.2f} GB/s", bps / 1e9);
  if (bps >= 1e6) return fmt::format("{:.1f} MB/s", bps / 1e6);
  if (bps >= 1e3) return fmt::format("{:.1f} kB/s", bps / 1e3);
  return fmt::format("{:.0f} B/s", bps);
}

std::string format_bytes(uint64_t b) {
  double v = static_cast<double>(b);
  if (b >= (1ull << 30)) return fmt::format("{:.1f} GiB", v / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", v / (1ull << 20));
  if (b >= 1024) return fmt::format("{:.1f} KiB", v / 1024);
  return fmt::format("{} B", b);
}

std::string human_line(const TransferStats& s) {
  const std::string tls = s.timings.tls_ms > 0 ? fmt::format(", tls {:.1f}", s.timings.tls_ms) : "";
  std::string line =
      fmt::format("{} {} {} {:.1f} ms (connect {:.1f}{}, first byte {:.1f}) {}", s.op, s.key, format_bytes(s.bytes),
                  s.total_ms, s.timings.connect_ms, tls, s.timings.first_byte_ms, format_rate(s.bytes, s.total_ms));
  if (s.parts > 0) line += fmt::format(" {} parts", s.parts);
  line += s.connection_reused ? " reused" : fmt::format(" new-conns {}", s.connections_opened);
  if (s.tcp)
    line +=
        fmt::format(" rtt {:.2f} ms cwnd {} retrans {}", s.tcp->rtt_us / 1000.0, s.tcp->snd_cwnd, s.tcp->total_retrans);
  return line;
}

namespace {
double round3(double v) {
  return static_cast<double>(static_cast<int64_t>(v * 1000.0 + (v >= 0 ? 0.5 : -0.5))) / 1000.0;
}
}  // namespace

std::string json_line(const TransferStats& s) {
  nlohmann::json j = {
      {"op", s.op},
      {"key", s.key},
      {"bytes", s.bytes},
      {"status", s.status},
      {"ms", round3(s.total_ms)},
      {"dns_ms", round3(s.timings.dns_ms)},
      {"connect_ms", round3(s.timings.connect_ms)},
      {"tls_ms", round3(s.timings.tls_ms)},
      {"sent_ms", round3(s.timings.sent_ms)},
      {"first_byte_ms", round3(s.timings.first_byte_ms)},
      {"rate_bps", s.total_ms > 0 ? static_cast<uint64_t>(s.bytes * 8000.0 / s.total_ms) : 0},
      {"requests", s.requests},
      {"parts", s.parts},
      {"connections_opened", s.connections_opened},
      {"connection_reused", s.connection_reused},
      {"sha256", s.sha256},
  };
  j["tcp_info"] = s.tcp ? nlohmann::json::parse(net::tcp_info_json(*s.tcp)) : nlohmann::json(nullptr);
  return j.dump();
}

Summary summarize(std::vector<double> ms) {
  Summary s;
  s.count = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.min_ms = ms.front();
  s.max_ms = ms.back();
  size_t n = ms.size();
  s.median_ms = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean_ms = sum / static_cast<double>(n);
  return s;
}

std::string in_rtts(double ms, double rtt_ms) {
  if (rtt_ms <= 0) return "";
  return fmt::format("{:.1f} RTT", ms / rtt_ms);
}

}  // namespace haul::client
