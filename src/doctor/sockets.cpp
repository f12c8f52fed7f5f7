#include "doctor/sockets.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.hpp"
#include "doctor/render.hpp"
#include "doctor/sockets_analysis.hpp"
#include "net/proc_fds.hpp"
#include "net/sock_diag.hpp"

namespace haul::doctor {

namespace {

Finding needs_root(const char* id, std::string value, std::string why) {
  Finding f;
  f.id = id;
  f.status = Status::skip;
  f.value = std::move(value);
  f.why = std::move(why);
  return f;
}

}  // namespace

void run_sockets(const SocketsOptions& o, std::FILE* out) {
  bool root = ::geteuid() == 0;
  std::set<std::string> previous;
  for (int sample = 1;; ++sample) {
    SocketScope scope;
    scope.port = o.port;
    std::vector<Finding> extra;
    if (o.pid) {
      scope.pid = o.pid;
      net::PidSockets ps = net::socket_inodes_of_pid(*o.pid);
      if (ps.error == ENOENT) throw Error(ErrorKind::not_found, fmt::format("no process {}", *o.pid));
      if (ps.error != 0)
        extra.push_back(needs_root("sockets.pid", fmt::format("pid {}: /proc/{}/fd unreadable", *o.pid, *o.pid),
                                   "needs root: the sockets of another user's process are found through its "
                                   "/proc/PID/fd; run as root (counts below cover nothing of that process)"));
      scope.inodes = std::move(ps.inodes);
    }
    net::SocketQuery q;
    q.port = o.port;
    q.match = net::PortMatch::local_or_remote;
    q.want_info = true;
    std::vector<net::SocketEntry> all = net::dump_tcp_sockets(q);
    std::map<uint64_t, net::SocketOwner> owners;
    if (root) {
      owners = net::scan_socket_owners().owners;
    } else {
      extra.push_back(needs_root("sockets.owners", "not read",
                                 "needs root: naming the process of each socket reads every /proc/PID/fd; counts and "
                                 "TCP_INFO are complete without it"));
    }
    SocketThresholds t;
    t.time_wait_pile = o.time_wait_pile;
    SocketsReport r = analyze_sockets(all, scope, t, previous, owners);
    for (auto& f : extra) r.findings.push_back(f);

    if (o.json) {
      nlohmann::json j = sockets_report_json(r, scope, owners);
      j["schema"] = "haul.doctor.sockets/1";
      j["sample"] = sample;
      j["root"] = root;
      std::fprintf(out, "%s\n", j.dump().c_str());
    } else {
      std::string scope_text = o.port ? fmt::format("port {}", *o.port) : o.pid ? fmt::format("pid {}", *o.pid) : "all";
      std::string counts;
      for (const auto& [state, n] : r.counts)
        if (n > 0 || state == "established" || state == "close_wait" || state == "time_wait")
          counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", state, n);
      std::fprintf(out, "TCP sockets (%s), sample %d: %s\n", scope_text.c_str(), sample, counts.c_str());
      std::fprintf(out, "%-11s %6s %6s  %-22s %-22s\n", "State", "Recv-Q", "Send-Q", "Local", "Peer");
      size_t shown = 0;
      for (const auto& e : r.sockets) {
        if (shown++ == o.max_lines) {
          std::fprintf(out, "... %zu more (use --json for all)\n", r.sockets.size() - o.max_lines);
          break;
        }
        std::fprintf(out, "%s\n", socket_line(e, owners).c_str());
      }
      std::fprintf(out, "\n%s", render_findings(r.findings).c_str());
    }
    std::fflush(out);
    previous = r.close_wait_keys;
    if (o.watch_s <= 0 || (o.samples > 0 && sample >= o.samples)) return;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.watch_s));
    if (!o.json) std::fprintf(out, "\n");
  }
}

}  // namespace haul::doctor
