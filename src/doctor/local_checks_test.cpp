#include <cerrno>
#include <gtest/gtest.h>

#include "doctor/local_checks.hpp"

using namespace haul::doctor;

namespace {
SysctlValue v(const char* text) {
  return SysctlValue{std::string(text), 0};
}
SysctlValue missing(int err) {
  return SysctlValue{std::nullopt, err};
}
PathModel seed_path() {
  return PathModel{0.200, 100e6, false};
}  // BDP 2.5 MB
}  // namespace

struct BoolCase {
  const char* text;
  Status want;
  bool has_fix;
};

TEST(LocalChecks, WindowScalingSackTimestamps) {
  for (auto c : {BoolCase{"1", Status::ok, false}, BoolCase{"0", Status::fail, true}}) {
    Finding f = check_window_scaling(v(c.text));
    EXPECT_EQ(f.status, c.want) << c.text;
    EXPECT_EQ(f.id, "sysctl.tcp_window_scaling");
    EXPECT_EQ(!f.fix.empty(), c.has_fix);
  }
  EXPECT_EQ(check_window_scaling(v("0")).fix, "sysctl -w net.ipv4.tcp_window_scaling=1");
  EXPECT_EQ(check_sack(v("0")).status, Status::warn);
  EXPECT_EQ(check_sack(v("0")).fix, "sysctl -w net.ipv4.tcp_sack=1");
  EXPECT_EQ(check_sack(v("1")).status, Status::ok);
  EXPECT_EQ(check_timestamps(v("2")).status, Status::ok);  // 2: timestamps without random offsets
  EXPECT_EQ(check_timestamps(v("0")).status, Status::warn);
}

TEST(LocalChecks, UnreadableIsSkipWithReason) {
  Finding f = check_sack(missing(EACCES));
  EXPECT_EQ(f.status, Status::skip);
  EXPECT_NE(f.why.find("needs root"), std::string::npos);
  EXPECT_EQ(check_fastopen(missing(ENOENT)).status, Status::skip);
  EXPECT_EQ(check_somaxconn(v("garbage")).status, Status::skip);
  EXPECT_EQ(check_autotune_buffer("net.ipv4.tcp_wmem", v("4096 16384"), seed_path()).status, Status::skip);
}

struct BufferCase {
  const char* text;
  Status want;
  const char* fix;
};

TEST(LocalChecks, AutotuneBufferAgainstBdp) {
  // BDP 2.5 MB: below it fail, between BDP and 2 x BDP warn, above ok.
  for (auto c : {BufferCase{"4096 16384 65536", Status::fail, "sysctl -w net.ipv4.tcp_wmem=\"4096 16384 8388608\""},
                 BufferCase{"4096 16384 4194304", Status::warn, "sysctl -w net.ipv4.tcp_wmem=\"4096 16384 8388608\""},
                 BufferCase{"4096 16384 8388608", Status::ok, ""}}) {
    Finding f = check_autotune_buffer("net.ipv4.tcp_wmem", v(c.text), seed_path());
    EXPECT_EQ(f.status, c.want) << c.text;
    EXPECT_EQ(f.fix, c.fix) << c.text;
    EXPECT_EQ(f.id, "sysctl.tcp_wmem");
  }
  // The cap stated: 64 KiB / 2 per 200 ms = 1.3 Mbit/s.
  Finding tiny = check_autotune_buffer("net.ipv4.tcp_rmem", v("4096 131072 65536"), seed_path());
  EXPECT_NE(tiny.value.find("1.3 Mbit/s"), std::string::npos) << tiny.value;
  EXPECT_EQ(tiny.fix, "sysctl -w net.ipv4.tcp_rmem=\"4096 131072 8388608\"");
  // A measured short path needs little: 1 ms x 1 Gbit/s = 125 kB.
  EXPECT_EQ(check_autotune_buffer("net.ipv4.tcp_wmem", v("4096 16384 4194304"), PathModel{0.001, 1e9, true}).status,
            Status::ok);
}

TEST(LocalChecks, CoreBufferMaxOnlyWarns) {
  EXPECT_EQ(check_core_buffer_max("net.core.rmem_max", v("212992"), seed_path()).status, Status::warn);
  EXPECT_EQ(check_core_buffer_max("net.core.rmem_max", v("212992"), seed_path()).fix,
            "sysctl -w net.core.rmem_max=8388608");
  EXPECT_EQ(check_core_buffer_max("net.core.wmem_max", v("16777216"), seed_path()).status, Status::ok);
}

struct IdleCase {
  const char* ssai;
  const char* cc;
  Status want;
};

TEST(LocalChecks, SlowStartAfterIdleDependsOnCongestionControl) {
  for (auto c : {IdleCase{"1", "cubic", Status::warn}, IdleCase{"1", "reno", Status::warn},
                 IdleCase{"1", "bbr", Status::ok}, IdleCase{"0", "cubic", Status::ok}}) {
    Finding f = check_slow_start_after_idle(v(c.ssai), v(c.cc));
    EXPECT_EQ(f.status, c.want) << c.ssai << " " << c.cc;
    if (c.want == Status::warn) {
      EXPECT_EQ(f.fix, "sysctl -w net.ipv4.tcp_slow_start_after_idle=0");
    }
  }
}

TEST(LocalChecks, CongestionControl) {
  EXPECT_EQ(check_congestion_control(v("bbr"), v("reno bbr cubic"), v("reno bbr")).status, Status::ok);
  Finding f = check_congestion_control(v("cubic"), v("reno cubic bbr"), v("reno cubic"));
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.fix, "sysctl -w net.ipv4.tcp_congestion_control=bbr");
  EXPECT_EQ(check_congestion_control(v("cubic"), v("reno cubic"), v("reno cubic")).fix,
            "modprobe tcp_bbr && sysctl -w net.ipv4.tcp_congestion_control=bbr");
}

TEST(LocalChecks, AutoCongestionNeedsCubicAndBbrAllowed) {
  EXPECT_EQ(check_auto_congestion(v("reno cubic bbr"), v("reno cubic bbr")).status, Status::ok);
  Finding f = check_auto_congestion(v("reno bbr cubic"), v("reno bbr"));
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.fix, "sysctl -w net.ipv4.tcp_allowed_congestion_control=\"reno bbr cubic\"");
  EXPECT_EQ(check_auto_congestion(v("reno cubic"), v("reno cubic")).fix,
            "modprobe tcp_bbr && sysctl -w net.ipv4.tcp_allowed_congestion_control=\"reno cubic bbr\"");
}

TEST(LocalChecks, FastOpenBits) {
  EXPECT_EQ(check_fastopen(v("3")).status, Status::ok);
  for (const char* t : {"0", "1", "2"}) {
    Finding f = check_fastopen(v(t));
    EXPECT_EQ(f.status, Status::warn) << t;
    EXPECT_EQ(f.fix, "sysctl -w net.ipv4.tcp_fastopen=3");
  }
  EXPECT_NE(check_fastopen(v("2")).why.find("client bit"), std::string::npos);
  EXPECT_NE(check_fastopen(v("1")).why.find("server bit"), std::string::npos);
}

TEST(LocalChecks, Backlogs) {
  EXPECT_EQ(check_somaxconn(v("128")).status, Status::warn);
  EXPECT_EQ(check_somaxconn(v("128")).fix, "sysctl -w net.core.somaxconn=4096");
  EXPECT_EQ(check_somaxconn(v("4096")).status, Status::ok);
  EXPECT_EQ(check_max_syn_backlog(v("256")).status, Status::warn);
  EXPECT_EQ(check_max_syn_backlog(v("2048")).status, Status::ok);
}

TEST(LocalChecks, TimeWaitSettings) {
  EXPECT_EQ(check_fin_timeout(v("60")).status, Status::ok);
  EXPECT_EQ(check_fin_timeout(v("120")).status, Status::warn);
  EXPECT_EQ(check_fin_timeout(v("120")).fix, "sysctl -w net.ipv4.tcp_fin_timeout=30");

  EXPECT_EQ(check_tw_reuse(v("2"), 10).status, Status::ok);
  EXPECT_EQ(check_tw_reuse(v("2"), 5000).status, Status::warn);
  EXPECT_EQ(check_tw_reuse(v("2"), 5000).fix, "sysctl -w net.ipv4.tcp_tw_reuse=1");
  EXPECT_EQ(check_tw_reuse(v("1"), 5000).status, Status::ok);

  EXPECT_EQ(check_tw_recycle(missing(ENOENT)).status, Status::ok);
  EXPECT_EQ(check_tw_recycle(v("0")).status, Status::ok);
  EXPECT_EQ(check_tw_recycle(v("1")).status, Status::fail);
  EXPECT_EQ(check_tw_recycle(v("1")).fix, "sysctl -w net.ipv4.tcp_tw_recycle=0");
}

TEST(LocalChecks, PortRangeAndNofile) {
  LocalWants wants;
  wants.connections = 4096;
  EXPECT_EQ(check_port_range(v("32768\t60999"), wants).status, Status::ok);
  Finding f = check_port_range(v("60000 61000"), wants);
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.fix, "sysctl -w net.ipv4.ip_local_port_range=\"10240 65535\"");

  EXPECT_EQ(check_nofile(Rlimit{1024, 1048576}, wants).status, Status::warn);
  EXPECT_NE(check_nofile(Rlimit{1024, 1048576}, wants).fix.find("* soft nofile 65536"), std::string::npos);
  Finding hard = check_nofile(Rlimit{1024, 4096}, wants);
  EXPECT_EQ(hard.status, Status::fail);
  EXPECT_NE(hard.fix.find("* hard nofile 65536"), std::string::npos);
  EXPECT_NE(hard.fix.find("/etc/security/limits.conf"), std::string::npos);
  EXPECT_EQ(check_nofile(Rlimit{65536, 65536}, wants).status, Status::ok);
  EXPECT_EQ(check_nofile(Rlimit{UINT64_MAX, UINT64_MAX}, wants).status, Status::ok);
  EXPECT_EQ(check_nofile(std::nullopt, wants).status, Status::skip);
}

TEST(LocalChecks, InitCwnd) {
  EXPECT_EQ(check_initcwnd(std::nullopt, "").status, Status::skip);
  auto def = haul::net::parse_route_line("default via 192.0.2.1 dev eth0");
  EXPECT_EQ(check_initcwnd(def, "").status, Status::ok);
  auto low = haul::net::parse_route_line("default via 192.0.2.1 dev eth0 initcwnd 4");
  Finding f = check_initcwnd(low, "");
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.fix, "ip route change default via 192.0.2.1 dev eth0 initcwnd 10");
}

TEST(LocalChecks, RunAllGivesEveryCheckOnce) {
  LocalFacts x;
  x.window_scaling = v("1");
  x.tcp_wmem = v("4096 16384 65536");
  auto findings = run_local_checks(x, seed_path(), LocalWants{});
  EXPECT_EQ(findings.size(), 18u);
  std::set<std::string> ids;
  for (const auto& f : findings) ids.insert(f.id);
  EXPECT_EQ(ids.size(), findings.size());
  Summary s = summarize(findings);
  EXPECT_EQ(s.ok + s.warn + s.fail + s.skip, 18);
  EXPECT_GE(s.fail, 1);  // the tiny tcp_wmem
}
