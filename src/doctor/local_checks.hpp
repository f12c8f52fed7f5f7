#pragma once
// Local checks of `haul doctor`, sans-IO: each takes values already read
// (sysctl text, rlimits, the route, the path's RTT and rate) and returns one
// Finding. The readers live in local_reader.cpp; tests feed tables.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "doctor/finding.hpp"
#include "net/route.hpp"
#include "net/sysctl.hpp"

namespace haul::doctor {

using net::SysctlValue;

// The path buffers are sized against: measured by the path probe, or a
// reference when no gateway was given (the seeds' line: 200 ms, 100 Mbit/s).
struct PathModel {
  double rtt_s = 0.200;
  double rate_bps = 100e6;
  bool measured = false;
  double bdp_bytes() const { return rate_bps / 8 * rtt_s; }
  std::string describe() const;  // "measured 0.1 ms x 20.0 Gbit/s" / "reference ..."
};

struct Rlimit {
  uint64_t soft = 0, hard = 0;  // UINT64_MAX = unlimited
};

// Everything the local checks read. A SysctlValue without text carries the
// errno of the failed read (ENOENT absent, EACCES needs root).
struct LocalFacts {
  SysctlValue window_scaling, sack, timestamps;
  SysctlValue tcp_rmem, tcp_wmem, rmem_max, wmem_max;
  SysctlValue slow_start_after_idle, congestion_control, available_cc, allowed_cc;
  SysctlValue fastopen, somaxconn, max_syn_backlog, fin_timeout, tw_reuse, tw_recycle, port_range;
  std::optional<Rlimit> nofile;
  std::optional<uint64_t> time_wait_count;  // host-wide TIME_WAIT sockets (sock_diag)
};

// Thresholds and wants from the command line.
struct LocalWants {
  uint64_t connections = 4096;  // --connections: descriptors and ports wanted
};

Finding check_window_scaling(const SysctlValue& v);
Finding check_sack(const SysctlValue& v);
Finding check_timestamps(const SysctlValue& v);
// name: "net.ipv4.tcp_rmem" or "net.ipv4.tcp_wmem" (min default max triple).
Finding check_autotune_buffer(const std::string& name, const SysctlValue& v, const PathModel& path);
// name: "net.core.rmem_max" or "net.core.wmem_max" (caps SO_RCVBUF/SO_SNDBUF).
Finding check_core_buffer_max(const std::string& name, const SysctlValue& v, const PathModel& path);
Finding check_slow_start_after_idle(const SysctlValue& ssai, const SysctlValue& congestion);
Finding check_congestion_control(const SysctlValue& current, const SysctlValue& available, const SysctlValue& allowed);
// Whether non-root haul processes may pick both algorithms --congestion auto uses.
Finding check_auto_congestion(const SysctlValue& available, const SysctlValue& allowed);
Finding check_fastopen(const SysctlValue& v);
Finding check_somaxconn(const SysctlValue& v);
Finding check_max_syn_backlog(const SysctlValue& v);
Finding check_fin_timeout(const SysctlValue& v);
Finding check_tw_reuse(const SysctlValue& v, std::optional<uint64_t> time_wait_count);
Finding check_tw_recycle(const SysctlValue& v);
Finding check_port_range(const SysctlValue& v, const LocalWants& wants);
Finding check_nofile(const std::optional<Rlimit>& nofile, const LocalWants& wants);
// route: the route toward the gateway; nullopt with `error` when unknown.
Finding check_initcwnd(const std::optional<net::RouteEntry>& route, const std::string& error);

// Every check above, in the order doctor prints them (initcwnd excluded: it
// needs the gateway's address).
std::vector<Finding> run_local_checks(const LocalFacts& facts, const PathModel& path, const LocalWants& wants);

}  // namespace haul::doctor
