#include "doctor/local_checks.hpp"

#include <cerrno>
#include <functional>
#include <fmt/format.h>

#include "doctor/units.hpp"

namespace haul::doctor {

namespace {

std::string sysctl_id(const std::string& name) {
  auto dot = name.rfind('.');
  return "sysctl." + (dot == std::string::npos ? name : name.substr(dot + 1));
}

// A finding for a value that could not be read: skip, with the reason.
Finding unreadable(const std::string& name, const SysctlValue& v) {
  Finding f;
  f.id = sysctl_id(name);
  f.status = Status::skip;
  if (v.error == EACCES || v.error == EPERM) {
    f.value = "unreadable";
    f.why = "needs root: /proc/sys/" + name + " is readable by root only; run doctor as root";
  } else if (v.error == ENOENT) {
    f.value = "absent";
    f.why = name + " does not exist in this kernel";
  } else {
    f.value = v.text ? *v.text : "unreadable";
    f.why = fmt::format("could not read or parse {} (errno {})", name, v.error);
  }
  return f;
}

std::optional<int64_t> single_int(const SysctlValue& v) {
  if (!v.text) return std::nullopt;
  auto ints = net::parse_sysctl_ints(*v.text);
  if (!ints || ints->size() != 1) return std::nullopt;
  return ints->front();
}

std::string sysctl_fix(const std::string& name, const std::string& value) {
  bool spaced = value.find(' ') != std::string::npos;
  return fmt::format("sysctl -w {}={}{}{}", name, spaced ? "\"" : "", value, spaced ? "\"" : "");
}

// A boolean sysctl that should be 1 (window scaling, SACK, timestamps).
Finding enabled_check(const std::string& name, const SysctlValue& v, Status when_off, const std::string& why_on,
                      const std::string& why_off) {
  auto n = single_int(v);
  if (!n) return unreadable(name, v);
  Finding f;
  f.id = sysctl_id(name);
  f.value = std::to_string(*n);
  f.recommended = "1";
  if (*n != 0) {
    f.why = why_on;
  } else {
    f.status = when_off;
    f.why = why_off;
    f.fix = sysctl_fix(name, "1");
  }
  return f;
}

bool list_has(const SysctlValue& list, const std::string& word) {
  if (!list.text) return false;
  std::string padded = " " + *list.text + " ";
  for (auto& c : padded)
    if (c == '\t') c = ' ';
  return padded.find(" " + word + " ") != std::string::npos;
}

}  // namespace

std::string PathModel::describe() const {
  return fmt::format("{} path {} x {} (BDP {})", measured ? "measured" : "reference", human_ms(rtt_s),
                     human_rate(rate_bps), human_bytes(bdp_bytes()));
}

Finding check_window_scaling(const SysctlValue& v) {
  return enabled_check("net.ipv4.tcp_window_scaling", v, Status::fail,
                       "windows can grow past 64 KiB (RFC 7323), as a long fat path needs",
                       "without window scaling a window is at most 64 KiB: one stream <= 64 KiB per RTT "
                       "(2.6 Mbit/s at 200 ms)");
}

Finding check_sack(const SysctlValue& v) {
  return enabled_check("net.ipv4.tcp_sack", v, Status::warn,
                       "selective ACKs let the sender resend only the lost segments",
                       "without SACK the sender learns of one lost segment per round trip: losses on a "
                       "long path cost many RTTs");
}

Finding check_timestamps(const SysctlValue& v) {
  return enabled_check("net.ipv4.tcp_timestamps", v, Status::warn,
                       "timestamps give per-ACK RTT samples, PAWS and make tcp_tw_reuse possible",
                       "without timestamps RTT is sampled once per window and TIME_WAIT ports cannot be "
                       "reused (tcp_tw_reuse needs them)");
}

Finding check_autotune_buffer(const std::string& name, const SysctlValue& v, const PathModel& path) {
  auto ints = v.text ? net::parse_sysctl_ints(*v.text) : std::nullopt;
  if (!ints || ints->size() != 3) return unreadable(name, v);
  int64_t lo = (*ints)[0], def = (*ints)[1], max = (*ints)[2];
  Finding f;
  f.id = sysctl_id(name);
  double bdp = path.bdp_bytes();
  // About half of a socket buffer carries data (the rest is skb overhead:
  // tcp_adv_win_scale / scaling_ratio), so one stream moves max/2 per RTT.
  double window = static_cast<double>(max) / 2;
  double cap_bps = window * 8 / path.rtt_s;
  bool rcv = name.find("rmem") != std::string::npos;
  f.value = fmt::format("{} {} {} (max {}: one stream <= {} at {})", lo, def, max,
                        human_bytes(static_cast<double>(max)), human_rate(cap_bps), human_ms(path.rtt_s));
  uint64_t need = static_cast<uint64_t>(2 * bdp);
  uint64_t rec = std::max<uint64_t>(round_up_pow2(std::max<uint64_t>(need, 1)), 4u << 20);
  f.recommended = fmt::format("max >= {} (2 x BDP of the {})", human_bytes(static_cast<double>(need)), path.describe());
  std::string side = rcv ? "receive" : "send";
  if (static_cast<double>(max) >= 2 * bdp) {
    f.why = fmt::format("the {} buffer can grow to twice the BDP, so one stream can fill the path", side);
    return f;
  }
  f.status = static_cast<double>(max) < bdp ? Status::fail : Status::warn;
  f.why = fmt::format(
      "the {} buffer autotunes up to {} only: about half carries data, so one stream is capped at "
      "window/RTT = {}, below the path's {}",
      side, human_bytes(static_cast<double>(max)), human_rate(cap_bps), human_rate(path.rate_bps));
  f.fix = sysctl_fix(name, fmt::format("{} {} {}", lo, def, rec));
  return f;
}

Finding check_core_buffer_max(const std::string& name, const SysctlValue& v, const PathModel& path) {
  auto n = single_int(v);
  if (!n) return unreadable(name, v);
  Finding f;
  f.id = sysctl_id(name);
  double bdp = path.bdp_bytes();
  f.value = fmt::format("{} ({})", *n, human_bytes(static_cast<double>(*n)));
  uint64_t need = static_cast<uint64_t>(2 * bdp);
  f.recommended = fmt::format(">= {} (2 x BDP of the {})", human_bytes(static_cast<double>(need)), path.describe());
  bool rcv = name.find("rmem") != std::string::npos;
  if (static_cast<double>(*n) >= 2 * bdp) {
    f.why = fmt::format("buffers set explicitly with {} may be as large as the path needs",
                        rcv ? "SO_RCVBUF" : "SO_SNDBUF");
    return f;
  }
  // Autotuned sockets ignore this; only programs that set the buffer size do.
  f.status = Status::warn;
  f.why = fmt::format(
      "caps buffers set with {} (iperf3 -w, nginx {}=): such a socket gets at most {}, under the BDP; "
      "autotuning uses tcp_{} instead",
      rcv ? "SO_RCVBUF" : "SO_SNDBUF", rcv ? "rcvbuf" : "sndbuf", human_bytes(static_cast<double>(*n)),
      rcv ? "rmem" : "wmem");
  f.fix = sysctl_fix(name, std::to_string(std::max<uint64_t>(round_up_pow2(std::max<uint64_t>(need, 1)), 4u << 20)));
  return f;
}

Finding check_slow_start_after_idle(const SysctlValue& ssai, const SysctlValue& congestion) {
  const std::string name = "net.ipv4.tcp_slow_start_after_idle";
  auto n = single_int(ssai);
  if (!n) return unreadable(name, ssai);
  std::string cc = congestion.text ? *congestion.text : "unknown";
  Finding f;
  f.id = sysctl_id(name);
  f.value = fmt::format("{} (congestion control {})", *n, cc);
  f.recommended = "0";
  if (*n == 0) {
    f.why = "a warm keep-alive connection keeps its congestion window across idle periods";
    return f;
  }
  if (cc == "bbr") {
    f.why = "bbr keeps its bandwidth estimate across idle and paces back at it; with cubic/reno this would reset cwnd";
    return f;
  }
  f.status = Status::warn;
  f.why = fmt::format(
      "{} drops cwnd back to the initial window (10 segments) after an idle RTO: a pooled "
      "keep-alive connection then slow-starts like a new one (haul's own sockets dodge it by "
      "sending after idle with bbr, --congestion auto; other clients on this host do not)",
      cc);
  f.fix = sysctl_fix(name, "0");
  return f;
}

Finding check_congestion_control(const SysctlValue& current, const SysctlValue& available, const SysctlValue& allowed) {
  const std::string name = "net.ipv4.tcp_congestion_control";
  if (!current.text) return unreadable(name, current);
  Finding f;
  f.id = sysctl_id(name);
  f.value = fmt::format("{} (available: {}; allowed: {})", *current.text, available.text ? *available.text : "?",
                        allowed.text ? *allowed.text : "?");
  f.recommended = "bbr";
  if (*current.text == "bbr") {
    f.why = "bbr paces at the measured bottleneck rate and does not halve its rate on random loss";
    return f;
  }
  f.flag(Status::warn,
         fmt::format("{} halves its window on every loss: on a long path 1% loss cut iperf3 to 1.2 Mbit/s where bbr "
                     "kept 86 Mbit/s (design facts, 200 ms)",
                     *current.text),
         list_has(available, "bbr") ? sysctl_fix(name, "bbr") : "modprobe tcp_bbr && " + sysctl_fix(name, "bbr"));
  return f;
}

Finding check_auto_congestion(const SysctlValue& available, const SysctlValue& allowed) {
  const std::string name = "net.ipv4.tcp_allowed_congestion_control";
  if (!allowed.text) return unreadable(name, allowed);
  Finding f;
  f.id = sysctl_id(name);
  f.value = fmt::format("{} (available: {})", *allowed.text, available.text ? *available.text : "?");
  f.recommended = "cubic and bbr listed";
  std::string wanted = *allowed.text;
  for (const char* cc : {"cubic", "bbr"})
    if (!list_has(allowed, cc)) wanted += std::string(" ") + cc;
  if (wanted == *allowed.text) {
    f.why = "haul (--congestion auto) sends each burst with cubic or bbr; both are open to non-root processes";
    return f;
  }
  f.status = Status::warn;
  f.why =
      "haul (--congestion auto) sends each burst with cubic or bbr (docs/client.md); a process without "
      "CAP_NET_ADMIN may only pick algorithms listed here, so a missing one leaves its sockets on the other "
      "(root processes are not limited and load tcp_bbr themselves)";
  f.fix = (list_has(available, "bbr") ? "" : "modprobe tcp_bbr && ") + sysctl_fix(name, wanted);
  return f;
}

Finding check_fastopen(const SysctlValue& v) {
  const std::string name = "net.ipv4.tcp_fastopen";
  auto n = single_int(v);
  if (!n) return unreadable(name, v);
  Finding f;
  f.id = sysctl_id(name);
  bool client = (*n & 1) != 0, server = (*n & 2) != 0;
  f.value = fmt::format("{} (client {}, server {})", *n, client ? "on" : "off", server ? "on" : "off");
  f.recommended = "3";
  if (client && server) {
    f.why = "new connections can carry the request in the SYN (saves one RTT after the first visit)";
    return f;
  }
  f.status = Status::warn;
  if (!client && !server)
    f.why = "TCP Fast Open is off both ways: every new connection waits a full RTT before the request";
  else if (!client)
    f.why = "client bit (1) off: haul put/get cannot send the request in the SYN of a new connection";
  else
    f.why =
        "server bit (2) off: a haul gateway on this host cannot accept data in SYN, so clients lose one RTT "
        "per new connection";
  f.fix = sysctl_fix(name, "3");
  return f;
}

namespace {

// A sysctl holding one integer that is fine on one side of a bound (unit is
// shown after the value, e.g. " s"); below or above it the finding warns.
struct IntBound {
  std::string name;
  bool at_least;
  int64_t bound;
  std::string unit;
  std::string fix_value;
};

Finding bounded_int_check(const SysctlValue& v, const IntBound& b, std::string why_ok,
                          const std::function<std::string(int64_t)>& why_bad) {
  auto n = single_int(v);
  if (!n) return unreadable(b.name, v);
  Finding f;
  f.id = sysctl_id(b.name);
  f.value = fmt::format("{}{}", *n, b.unit);
  f.recommended = fmt::format("{} {}{}", b.at_least ? ">=" : "<=", b.bound, b.unit);
  if (b.at_least ? *n >= b.bound : *n <= b.bound) {
    f.why = std::move(why_ok);
    return f;
  }
  f.status = Status::warn;
  f.why = why_bad(*n);
  f.fix = sysctl_fix(b.name, b.fix_value);
  return f;
}

}  // namespace

Finding check_somaxconn(const SysctlValue& v) {
  return bounded_int_check(v, {"net.core.somaxconn", true, 4096, "", "4096"},
                           "listen() backlogs up to 4096 are honoured, enough for bursts of new connections",
                           [](int64_t n) {
                             return fmt::format(
                                 "every listen() backlog is cut to {}: a burst of new connections overflows the accept "
                                 "queue and the dropped SYNs are retried after 1 s or more",
                                 n);
                           });
}

Finding check_max_syn_backlog(const SysctlValue& v) {
  return bounded_int_check(
      v, {"net.ipv4.tcp_max_syn_backlog", true, 1024, "", "4096"},
      "half-open connections (SYN received, handshake not done) have room on a long-RTT path", [](int64_t) {
        return std::string(
            "half-open connections wait one RTT each; a small SYN queue overflows into SYN cookies, which lose "
            "window scaling and SACK when timestamps are off");
      });
}

Finding check_fin_timeout(const SysctlValue& v) {
  return bounded_int_check(
      v, {"net.ipv4.tcp_fin_timeout", false, 60, " s", "30"},
      "bounds FIN_WAIT2 orphans only; TIME_WAIT is fixed at 60 s in Linux whatever this says", [](int64_t) {
        return std::string(
            "orphaned FIN_WAIT2 sockets (peer never closes) hold memory this long; it does not shorten TIME_WAIT");
      });
}

Finding check_tw_reuse(const SysctlValue& v, std::optional<uint64_t> time_wait_count) {
  const std::string name = "net.ipv4.tcp_tw_reuse";
  auto n = single_int(v);
  if (!n) return unreadable(name, v);
  Finding f;
  f.id = sysctl_id(name);
  f.value = std::to_string(*n) + (*n == 2 ? " (loopback only)" : "");
  if (time_wait_count) f.value += fmt::format("; {} sockets in TIME_WAIT now", *time_wait_count);
  f.recommended = "1 when this host opens many short outgoing connections";
  constexpr uint64_t pile = 1000;
  if (*n == 1) {
    f.why = "outgoing connections may reuse a TIME_WAIT port once it is 1 s old (safe with timestamps)";
    return f;
  }
  if (!time_wait_count || *time_wait_count < pile) {
    f.why = "fine while connections are reused (haul's pool): TIME_WAIT is not piling up";
    return f;
  }
  f.status = Status::warn;
  f.why = fmt::format(
      "{} sockets sit in TIME_WAIT (60 s each): short connections exhaust ephemeral ports; reuse "
      "connections, or let connect() reuse TIME_WAIT ports",
      *time_wait_count);
  f.fix = sysctl_fix(name, "1");
  return f;
}

Finding check_tw_recycle(const SysctlValue& v) {
  Finding f;
  f.id = "sysctl.tcp_tw_recycle";
  f.recommended = "0 or absent; never 1";
  if (!v.text) {
    if (v.error != ENOENT) return unreadable("net.ipv4.tcp_tw_recycle", v);
    f.value = "absent (removed in Linux 4.12)";
    f.why = "never set it (the seed's sysctl.conf line fails here): it dropped connections from clients behind NAT";
    return f;
  }
  auto n = single_int(v);
  f.value = *v.text;
  if (n && *n == 0) {
    f.why = "off, as it must be: it drops SYNs from clients behind NAT whose timestamps disagree";
    return f;
  }
  f.status = Status::fail;
  f.why = "tcp_tw_recycle drops connections from clients behind NAT (their timestamps disagree); removed in 4.12";
  f.fix = sysctl_fix("net.ipv4.tcp_tw_recycle", "0");
  return f;
}

Finding check_port_range(const SysctlValue& v, const LocalWants& wants) {
  const std::string name = "net.ipv4.ip_local_port_range";
  auto ints = v.text ? net::parse_sysctl_ints(*v.text) : std::nullopt;
  if (!ints || ints->size() != 2) return unreadable(name, v);
  int64_t count = (*ints)[1] - (*ints)[0] + 1;
  Finding f;
  f.id = sysctl_id(name);
  f.value = fmt::format("{} {} ({} ports)", (*ints)[0], (*ints)[1], count);
  uint64_t want = std::max<uint64_t>(wants.connections * 2, 16384);
  f.recommended = fmt::format(">= {} ports", want);
  if (count >= static_cast<int64_t>(want)) {
    f.why = fmt::format("{} ports to one gateway address: at most {} new connections per second with 60 s TIME_WAIT",
                        count, count / 60);
    return f;
  }
  f.flag(Status::warn,
         fmt::format("only {} ephemeral ports: each connection to one gateway needs its own, and a closed one is "
                     "held 60 s in TIME_WAIT ({} new connections/s at most)",
                     count, count / 60),
         sysctl_fix(name, "10240 65535"));
  return f;
}

Finding check_nofile(const std::optional<Rlimit>& nofile, const LocalWants& wants) {
  Finding f;
  f.id = "limit.nofile";
  if (!nofile) {
    f.status = Status::skip;
    f.value = "unreadable";
    f.why = "getrlimit(RLIMIT_NOFILE) failed";
    return f;
  }
  auto text = [](uint64_t v) { return v == UINT64_MAX ? std::string("unlimited") : std::to_string(v); };
  uint64_t want = wants.connections + 64;  // stdio, logs, listeners, store files
  uint64_t rec = std::max<uint64_t>(round_up_pow2(want), 65536);
  f.value = fmt::format("soft {}, hard {}", text(nofile->soft), text(nofile->hard));
  f.recommended = fmt::format(">= {} ({} connections + 64)", want, wants.connections);
  if (nofile->hard < want) {
    f.flag(Status::fail,
           fmt::format("one descriptor per connection: the hard limit {} stops this user at fewer than {} connections, "
                       "and only root can raise it",
                       text(nofile->hard), wants.connections),
           fmt::format("printf '* soft nofile {0}\\n* hard nofile {0}\\n' >> /etc/security/limits.conf  "
                       "# systemd units: LimitNOFILE={0}",
                       rec));
    return f;
  }
  if (nofile->soft < want) {
    f.status = Status::warn;
    f.why = fmt::format(
        "the soft limit {} allows fewer than {} connections; haul raises its own soft limit to the hard "
        "one at start, other programs do not",
        text(nofile->soft), wants.connections);
    f.fix = fmt::format("echo '* soft nofile {}' >> /etc/security/limits.conf  # or ulimit -n {} in this shell", rec,
                        text(nofile->hard));
    return f;
  }
  f.why = "one descriptor per connection: enough for the connections wanted";
  return f;
}

Finding check_initcwnd(const std::optional<net::RouteEntry>& route, const std::string& error) {
  Finding f;
  f.id = "route.initcwnd";
  f.recommended = ">= 10 segments";
  if (!route) {
    f.status = Status::skip;
    f.value = "unknown";
    f.why =
        error.empty() ? "no gateway given: the route toward it is unknown (pass --gateway)" : "route lookup: " + error;
    return f;
  }
  uint32_t cwnd = route->initcwnd.value_or(10);
  f.value = fmt::format("{}{} on route '{}'", cwnd, route->initcwnd ? "" : " (kernel default)", route->spec);
  if (cwnd >= 10) {
    f.why = "a new connection sends 10 segments (~14 KiB) in its first RTT (RFC 6928)";
    return f;
  }
  f.status = Status::warn;
  f.why =
      fmt::format("a new connection starts with {} segments: small objects take more round trips in slow start", cwnd);
  f.fix = net::route_change_command(*route, 10);
  return f;
}

std::vector<Finding> run_local_checks(const LocalFacts& x, const PathModel& path, const LocalWants& wants) {
  return {
      check_window_scaling(x.window_scaling),
      check_sack(x.sack),
      check_timestamps(x.timestamps),
      check_autotune_buffer("net.ipv4.tcp_rmem", x.tcp_rmem, path),
      check_autotune_buffer("net.ipv4.tcp_wmem", x.tcp_wmem, path),
      check_core_buffer_max("net.core.rmem_max", x.rmem_max, path),
      check_core_buffer_max("net.core.wmem_max", x.wmem_max, path),
      check_slow_start_after_idle(x.slow_start_after_idle, x.congestion_control),
      check_congestion_control(x.congestion_control, x.available_cc, x.allowed_cc),
      check_auto_congestion(x.available_cc, x.allowed_cc),
      check_fastopen(x.fastopen),
      check_somaxconn(x.somaxconn),
      check_max_syn_backlog(x.max_syn_backlog),
      check_fin_timeout(x.fin_timeout),
      check_tw_reuse(x.tw_reuse, x.time_wait_count),
      check_tw_recycle(x.tw_recycle),
      check_port_range(x.port_range, wants),
      check_nofile(x.nofile, wants),
  };
}

}  // namespace haul::doctor
