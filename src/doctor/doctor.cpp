#include "doctor/doctor.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "doctor/edge_checks.hpp"
#include "doctor/local_reader.hpp"
#include "doctor/path_checks.hpp"
#include "doctor/path_probe.hpp"
#include "doctor/sockets_analysis.hpp"
#include "net/proc_fds.hpp"
#include "net/route.hpp"
#include "http_client/base_target.hpp"
#include "http_client/exchange.hpp"
#include "net/sock_diag.hpp"

namespace haul::doctor {

namespace {

// Host-wide socket states: CLOSE_WAIT and TIME_WAIT piles, and who holds them.
void add_socket_findings(bool root, std::vector<Finding>& out) {
  std::vector<net::SocketEntry> all;
  try {
    all = net::dump_tcp_sockets({});
  } catch (const Error& e) {
    Finding f;
    f.id = "sockets.states";
    f.status = Status::skip;
    f.value = "unreadable";
    f.why = std::string("sock_diag failed: ") + e.what();
    out.push_back(f);
    return;
  }
  std::map<uint64_t, net::SocketOwner> owners;
  Finding own;
  own.id = "sockets.owners";
  if (root) {
    owners = net::scan_socket_owners().owners;
    own.value = std::to_string(owners.size()) + " sockets mapped to processes";
    own.why = "processes holding CLOSE_WAIT sockets are named in sockets.close_wait";
  } else {
    own.status = Status::skip;
    own.value = "not read";
    own.why =
        "needs root: naming the process of each socket reads every /proc/PID/fd (other users' are closed to "
        "us); counts above are complete without it";
  }
  SocketThresholds t;
  t.time_wait_pile = 1000;  // host-wide: many programs share it
  SocketsReport r = analyze_sockets(all, {}, t, {}, owners);
  for (auto& f : r.findings) out.push_back(f);
  out.push_back(own);
}

// The edge's /metrics (loopback or its Unix socket: no token needed).
EdgeState read_edge(const std::string& url) {
  EdgeState edge;
  edge.url = url;
  http_client::Exchange x;
  http_client::Options options;
  const auto target = http_client::split_base_target(url);  // unix:PATH too
  options.url = gateway_base(target.url) + "/metrics";
  options.unix_socket = target.unix_socket;
  options.connect_timeout_ms = 3000;
  options.timeout_ms = 10000;
  http_client::BodyCollector body(4 << 20);
  x.prepare(options, body);
  const auto outcome = x.perform();
  if (outcome.failure != http_client::Failure::none) {
    edge.error = outcome.detail;
  } else if (x.head().status != 200) {
    edge.error = "/metrics answered " + std::to_string(x.head().status);
  } else {
    edge.metrics = body.text;
  }
  return edge;
}

}  // namespace

DoctorReport run_doctor(const DoctorOptions& o) {
  DoctorReport rep;
  rep.root = ::geteuid() == 0;
  PathModel reference;
  if (o.rtt_ms) reference.rtt_s = *o.rtt_ms / 1000;
  if (o.rate_bps) reference.rate_bps = static_cast<double>(*o.rate_bps);

  LocalFacts facts = read_local_facts();
  std::optional<net::RouteEntry> route;
  std::string route_error;
  if (!o.gateway.empty()) {
    rep.path = probe_path(ProbeOptions{
        .url = o.gateway, .token = o.token, .handshakes = o.handshakes, .max_bytes = o.probe_bytes, .tls = o.tls});
    if (!rep.path->address.empty()) {
      auto lookup = net::lookup_route(rep.path->address);
      route = lookup.route;
      route_error = lookup.error;
    } else {
      route_error = "the gateway's address is unknown (no handshake succeeded)";
    }
  }
  rep.model = rep.path ? path_model_from(*rep.path, reference) : reference;

  LocalWants wants;
  wants.connections = o.connections;
  rep.findings = run_local_checks(facts, rep.model, wants);
  rep.findings.push_back(check_initcwnd(route, route_error));
  add_socket_findings(rep.root, rep.findings);
  if (rep.path) {
    for (auto& f : run_path_checks(*rep.path, facts)) rep.findings.push_back(f);
  }
  if (!o.edge.empty()) {
    for (auto& f : run_edge_checks(read_edge(o.edge))) rep.findings.push_back(f);
  }
  return rep;
}

nlohmann::json doctor_report_json(const DoctorReport& rep) {
  nlohmann::json j;
  j["schema"] = "haul.doctor/1";
  j["root"] = rep.root;
  j["path_model"] = {{"measured", rep.model.measured},
                     {"rtt_ms", rep.model.rtt_s * 1000},
                     {"rate_bps", rep.model.rate_bps},
                     {"bdp_bytes", rep.model.bdp_bytes()}};
  j["path"] = rep.path ? path_result_json(*rep.path) : nlohmann::json(nullptr);
  j["findings"] = nlohmann::json::array();
  for (const auto& f : rep.findings) j["findings"].push_back(finding_json(f));
  Summary s = summarize(rep.findings);
  j["summary"] = {{"ok", s.ok}, {"warn", s.warn}, {"fail", s.fail}, {"skip", s.skip}};
  return j;
}

}  // namespace haul::doctor
