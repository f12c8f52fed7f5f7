#include "doctor/sockets_analysis.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <fmt/format.h>
#include <tuple>
#include <utility>
#include <nlohmann/json.hpp>

#include "doctor/units.hpp"
#include "net/tcp_state.hpp"

namespace haul::doctor {

namespace {

using net::SocketEntry;

std::string endpoint(const std::string& addr, uint16_t port) {
  return addr.find(':') != std::string::npos ? fmt::format("[{}]:{}", addr, port) : fmt::format("{}:{}", addr, port);
}

uint8_t normal_state(uint8_t s) {
  return s == net::tcp_new_syn_recv ? uint8_t{net::tcp_syn_recv} : s;
}

bool in_scope(const SocketEntry& e, const SocketScope& scope, const std::set<uint16_t>& pid_listen_ports,
              const std::set<std::string>& pid_remotes) {
  if (scope.port && e.local_port != *scope.port && e.remote_port != *scope.port) return false;
  if (scope.pid) {
    if (e.inode != 0) return scope.inodes.count(e.inode) != 0;
    // TIME_WAIT and SYN_RECV have no inode: attribute them by port.
    return pid_listen_ports.count(e.local_port) != 0 || pid_remotes.count(endpoint(e.remote_addr, e.remote_port)) != 0;
  }
  return true;
}

std::string owners_text(const std::vector<uint64_t>& inodes, const std::map<uint64_t, net::SocketOwner>& owners) {
  std::map<int, std::string> pids;
  for (uint64_t i : inodes) {
    auto it = owners.find(i);
    if (it != owners.end()) pids[it->second.pid] = it->second.comm;
  }
  std::string out;
  for (const auto& [pid, comm] : pids) out += fmt::format("{}{} (pid {})", out.empty() ? "" : ", ", comm, pid);
  return out;
}

Finding close_wait_finding(const SocketsReport& r, const std::set<std::string>& previous,
                           const std::map<uint64_t, net::SocketOwner>& owners) {
  Finding f;
  f.id = "sockets.close_wait";
  f.recommended = "0";
  std::vector<uint64_t> inodes;
  uint64_t persistent = 0;
  for (const auto& e : r.sockets) {
    if (e.state != net::tcp_close_wait) continue;
    inodes.push_back(e.inode);
    if (previous.count(socket_key(e))) ++persistent;
  }
  uint64_t n = inodes.size();
  f.value = fmt::format("{} sockets", n);
  if (!previous.empty() || persistent) f.value += fmt::format(" ({} still there since the last sample)", persistent);
  if (n == 0) {
    f.why = "no socket waits for its application to close after the peer's FIN";
    return f;
  }
  std::string who = owners_text(inodes, owners);
  f.status = persistent > 0 ? Status::fail : Status::warn;
  f.why = fmt::format(
      "the peer closed (sent FIN) and the application{} has not called close(): each socket holds a "
      "descriptor and memory until it does{}",
      who.empty() ? "" : " " + who,
      persistent > 0 ? "; these persisted across samples: a leak" : "; if they persist, it is a leak");
  f.fix = "in the application holding them: close the socket when read()/recv() returns 0 (EOF)";
  if (who.empty()) f.fix += "; run `haul doctor sockets` as root to name the process";
  return f;
}

Finding time_wait_finding(const SocketsReport& r, const SocketScope& scope, const SocketThresholds& t) {
  Finding f;
  f.id = "sockets.time_wait";
  uint64_t n = r.time_wait_server + r.time_wait_client;
  std::string port = scope.port ? fmt::format(" of port {}", *scope.port) : "";
  f.value = fmt::format(
      "{} sockets: {} on the server side{} (the server closed first), {} on the client side (the "
      "client closed first)",
      n, r.time_wait_server, port, r.time_wait_client);
  f.recommended = fmt::format("< {} per side", t.time_wait_pile);
  if (r.time_wait_server >= t.time_wait_pile) {
    f.flag(Status::warn,
           "TIME_WAIT sits on the side that closed first, 60 s per connection: here the server closes, so it "
           "carries the pile; servers should let clients close first",
           "keep connections alive and let the client close (HTTP/1.1 keep-alive, no 'Connection: close' or short "
           "idle timeout on the server)");
    return f;
  }
  if (r.time_wait_client >= t.time_wait_pile) {
    f.flag(Status::warn,
           "TIME_WAIT sits on the side that closed first: this host's clients open and close many short "
           "connections, each port held 60 s",
           "reuse connections (haul put/get keep a warm pool); else sysctl -w net.ipv4.tcp_tw_reuse=1");
    return f;
  }
  f.why = "TIME_WAIT is normal on the side that closes first; no pile here";
  return f;
}

std::optional<Finding> accept_queue_finding(const SocketsReport& r) {
  Finding f;
  f.id = "sockets.accept_queue";
  bool any = false;
  uint32_t worst_q = 0, worst_backlog = 0;
  uint16_t worst_port = 0;
  double worst = -1;
  for (const auto& e : r.sockets) {
    if (e.state != net::tcp_listen) continue;
    any = true;
    double fill = e.send_q ? static_cast<double>(e.recv_q) / e.send_q : 0;
    if (fill > worst) {
      worst = fill;
      worst_q = e.recv_q;
      worst_backlog = e.send_q;
      worst_port = e.local_port;
    }
  }
  if (!any) return std::nullopt;
  f.value = fmt::format("port {}: {} waiting to be accepted, backlog {}", worst_port, worst_q, worst_backlog);
  f.recommended = "accept queue well below the backlog";
  if (worst_backlog > 0 && worst_q >= worst_backlog) {
    f.flag(Status::fail, "the accept queue is full: new handshakes are dropped and clients retry after 1 s or more",
           "accept faster (more acceptors, SO_REUSEPORT) and raise the backlog: sysctl -w net.core.somaxconn=4096");
  } else if (worst > 0.5) {
    f.flag(Status::warn, "the accept queue is more than half full: the application accepts slower than clients connect",
           "accept faster (more acceptors, SO_REUSEPORT) and raise the backlog: sysctl -w net.core.somaxconn=4096");
  } else {
    f.why = "connections are accepted as fast as they arrive";
  }
  return f;
}

bool listens_on(const std::set<std::pair<std::string, uint16_t>>& listeners, const std::string& addr, uint16_t port) {
  for (const char* wildcard : {"0.0.0.0", "::"})
    if (listeners.count({wildcard, port})) return true;
  return listeners.count({addr, port}) > 0;
}

}  // namespace

std::string socket_key(const SocketEntry& e) {
  return fmt::format("{}>{}#{}", endpoint(e.local_addr, e.local_port), endpoint(e.remote_addr, e.remote_port), e.inode);
}

SocketsReport analyze_sockets(const std::vector<SocketEntry>& all, const SocketScope& scope,
                              const SocketThresholds& thresholds, const std::set<std::string>& previous_close_wait,
                              const std::map<uint64_t, net::SocketOwner>& owners) {
  std::set<uint16_t> listen_ports, pid_listen_ports;
  std::set<std::pair<std::string, uint16_t>> listeners;  // (address, port), the address maybe a wildcard
  std::set<std::string> pid_remotes;
  for (const auto& e : all) {
    if (e.state == net::tcp_listen) {
      listen_ports.insert(e.local_port);
      listeners.emplace(e.local_addr, e.local_port);
    }
    if (scope.pid && e.inode != 0 && scope.inodes.count(e.inode)) {
      if (e.state == net::tcp_listen)
        pid_listen_ports.insert(e.local_port);
      else if (!listen_ports.count(e.local_port))
        pid_remotes.insert(endpoint(e.remote_addr, e.remote_port));
    }
  }
  SocketsReport r;
  for (const char* name : {"established", "syn_recv", "close_wait", "time_wait", "fin_wait1", "fin_wait2", "last_ack",
                           "closing", "listen"})
    r.counts[name] = 0;
  for (const auto& e : all) {
    if (!in_scope(e, scope, pid_listen_ports, pid_remotes)) continue;
    r.sockets.push_back(e);
    uint8_t s = normal_state(e.state);
    ++r.counts[std::string(net::tcp_state_name(s))];
    if (s == net::tcp_time_wait) {
      // The server's side when a listener owns its address and port. A
      // client socket on another address can hold the listener's port number
      // (its bind to that address was free), so the port alone can mislead;
      // with no listener left on the port, --port is all there is to go by.
      const bool server = listen_ports.count(e.local_port) ? listens_on(listeners, e.local_addr, e.local_port)
                                                           : scope.port && e.local_port == *scope.port;
      ++(server ? r.time_wait_server : r.time_wait_client);
    }
    if (s == net::tcp_close_wait) r.close_wait_keys.insert(socket_key(e));
  }
  // Listeners first, then by state and ports: stable, readable output.
  std::stable_sort(r.sockets.begin(), r.sockets.end(), [](const SocketEntry& a, const SocketEntry& b) {
    auto key = [](const SocketEntry& e) {
      return std::tuple(e.state != net::tcp_listen, normal_state(e.state), e.local_port, e.remote_port);
    };
    return key(a) < key(b);
  });
  r.findings.push_back(close_wait_finding(r, previous_close_wait, owners));
  r.findings.push_back(time_wait_finding(r, scope, thresholds));
  if (auto aq = accept_queue_finding(r)) r.findings.push_back(*aq);
  return r;
}

std::string socket_line(const SocketEntry& e, const std::map<uint64_t, net::SocketOwner>& owners) {
  std::string line =
      fmt::format("{:<11} {:>6} {:>6}  {:<22} {:<22}", net::tcp_state_label(normal_state(e.state)), e.recv_q, e.send_q,
                  endpoint(e.local_addr, e.local_port), endpoint(e.remote_addr, e.remote_port));
  auto it = owners.find(e.inode);
  if (e.inode != 0 && it != owners.end()) line += fmt::format(" {}({})", it->second.comm, it->second.pid);
  if (e.timer == 3) line += fmt::format(" timer:time_wait,{}", human_ms(e.expires_ms / 1e3));
  if (e.info && e.state != net::tcp_listen) {
    const auto& i = *e.info;
    line += fmt::format(
        "\n    {} {}{}{} rtt:{:.3f}/{:.3f} mss:{} cwnd:{} ssthresh:{} unacked:{} retrans:{}/{} lost:{} "
        "bytes_sent:{} bytes_retrans:{} bytes_received:{} delivery_rate:{}",
        i.congestion.empty() ? "?" : i.congestion,
        i.window_scaling ? fmt::format("wscale:{},{} ", i.snd_wscale, i.rcv_wscale) : "", i.sack ? "sack " : "",
        i.timestamps ? "ts" : "", i.rtt_us / 1e3, i.rttvar_us / 1e3, i.snd_mss, i.snd_cwnd, i.snd_ssthresh, i.unacked,
        i.retrans, i.total_retrans, i.lost, i.bytes_sent, i.bytes_retrans, i.bytes_received,
        human_rate(static_cast<double>(i.delivery_rate_bps)));
  }
  return line;
}

nlohmann::json sockets_report_json(const SocketsReport& r, const SocketScope& scope,
                                   const std::map<uint64_t, net::SocketOwner>& owners) {
  nlohmann::json j;
  j["scope"] = {{"port", scope.port ? nlohmann::json(*scope.port) : nlohmann::json(nullptr)},
                {"pid", scope.pid ? nlohmann::json(*scope.pid) : nlohmann::json(nullptr)}};
  j["counts"] = r.counts;
  j["time_wait"] = {{"server_side", r.time_wait_server}, {"client_side", r.time_wait_client}};
  j["sockets"] = nlohmann::json::array();
  for (const auto& e : r.sockets) {
    nlohmann::json s = {{"state", net::tcp_state_name(normal_state(e.state))},
                        {"local", endpoint(e.local_addr, e.local_port)},
                        {"remote", endpoint(e.remote_addr, e.remote_port)},
                        {"recv_q", e.recv_q},
                        {"send_q", e.send_q},
                        {"inode", e.inode},
                        {"uid", e.uid}};
    auto it = owners.find(e.inode);
    if (e.inode != 0 && it != owners.end()) s["owner"] = {{"pid", it->second.pid}, {"comm", it->second.comm}};
    if (e.info) s["tcp_info"] = nlohmann::json::parse(net::tcp_info_json(*e.info));
    j["sockets"].push_back(std::move(s));
  }
  j["findings"] = nlohmann::json::array();
  for (const auto& f : r.findings) j["findings"].push_back(finding_json(f));
  return j;
}

}  // namespace haul::doctor
