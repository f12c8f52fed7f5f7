#include "doctor/edge_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace haul::doctor {

std::map<std::string, double> parse_prometheus(std::string_view text) {
  std::map<std::string, double> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string_view::npos || space == 0) continue;
    double value = 0;
    const std::string number(line.substr(space + 1));
    try {
      size_t used = 0;
      value = std::stod(number, &used);
      if (used != number.size()) continue;
    } catch (const std::exception&) {
      continue;
    }
    out[std::string(line.substr(0, space))] = value;
  }
  return out;
}

namespace {

double get(const std::map<std::string, double>& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? 0 : it->second;
}

// "cwnd 10-1820 segments, RTT 200.1-201.3 ms" over the idle connections.
std::string window_summary(const std::map<std::string, double>& m) {
  std::vector<double> cwnd, rtt;
  for (const auto& [name, value] : m) {
    if (name.starts_with("haul_edge_upstream_cwnd_segments{")) cwnd.push_back(value);
    if (name.starts_with("haul_edge_upstream_rtt_us{")) rtt.push_back(value / 1000);
  }
  if (cwnd.empty() || rtt.empty()) return "";
  const auto [cmin, cmax] = std::minmax_element(cwnd.begin(), cwnd.end());
  const auto [rmin, rmax] = std::minmax_element(rtt.begin(), rtt.end());
  return fmt::format(", cwnd {:.0f}-{:.0f} segments, RTT {:.1f}-{:.1f} ms", *cmin, *cmax, *rmin, *rmax);
}

}  // namespace

std::vector<Finding> run_edge_checks(const EdgeState& edge) {
  std::vector<Finding> out;
  Finding reachable;
  reachable.id = "edge.reachable";
  reachable.value = edge.url;
  if (!edge.metrics) {
    reachable.value = edge.url + ": " + edge.error;
    reachable.flag(Status::fail, "no haul edge answers there, so clients pointed at it (HAUL_EDGE) fail",
                   "start it: haul edge --listen 127.0.0.1:8080 --gateway URL --token-file F --client-token-file F "
                   "(docs/edge.md), or unset HAUL_EDGE");
    out.push_back(reachable);
    return out;
  }
  const auto m = parse_prometheus(*edge.metrics);
  if (!m.contains("haul_edge_requests_total")) {
    reachable.flag(Status::fail, "this answers /metrics but is not a haul edge (no haul_edge_* metrics)",
                   "point --edge / HAUL_EDGE at the edge's --listen address");
    out.push_back(reachable);
    return out;
  }
  out.push_back(reachable);

  const double open = get(m, "haul_edge_upstream_connections_open");
  const double idle = get(m, "haul_edge_upstream_connections_idle");
  const double failed = get(m, "haul_edge_upstream_connect_failures_total");
  Finding upstream;
  upstream.id = "edge.upstream";
  upstream.value = fmt::format(
      "{:.0f} warm (idle) of {:.0f} open to the gateway, {:.0f} opened, {:.0f} "
      "failed attempts, {:.0f} closed by the gateway, {:.0f} TLS resumed, {:.0f} with windows opened before "
      "use{}",
      idle, open, get(m, "haul_edge_upstream_connections_opened_total"), failed,
      get(m, "haul_edge_upstream_closed_by_gateway_total"), get(m, "haul_edge_upstream_tls_resumed_total"),
      get(m, "haul_edge_upstream_windows_warmed_total"), window_summary(m));
  if (open == 0) {
    upstream.flag(Status::fail, "the edge holds no connection to its gateway: it cannot reach it",
                  "read the edge's log (the reason is there once per outage): its --gateway, --cacert and the "
                  "gateway's health; then haul doctor --gateway URL");
  } else if (idle == 0) {
    upstream.flag(Status::warn, "every gateway connection is busy: the next request opens a new one (slow start)",
                  "raise --connections on the edge to what runs at once");
  }
  out.push_back(upstream);

  const double failures = get(m, "haul_edge_failures_total");
  const double requests = get(m, "haul_edge_requests_total");
  Finding failing;
  failing.id = "edge.failures";
  failing.value = fmt::format("{:.0f} of {:.0f} relayed requests failed, {:.0f} retried on a new connection", failures,
                              requests, get(m, "haul_edge_retries_total"));
  if (failures > 0) {
    failing.flag(Status::warn, "the gateway broke off or could not be reached for some requests",
                 "see the edge's log and the gateway's; haul doctor --gateway URL checks the path");
  }
  out.push_back(failing);
  return out;
}

}  // namespace haul::doctor
