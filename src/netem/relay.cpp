#include "netem/relay.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/error.hpp"
#include "netem/child_process.hpp"
#include "netem/forwarder.hpp"
#include "netem/host_cc.hpp"
#include "netem/netns.hpp"
#include "netem/sys_util.hpp"
#include "netem/tun_device.hpp"

namespace haul::netem {

namespace {

using std::chrono::milliseconds;

// Names and addresses of one run; the pid makes them unique on the host.
// The addresses exist only inside the two namespaces.
struct Names {
  std::string client_ns, server_ns, client_dev, server_dev, client_addr, server_addr;
};

Names names_for(pid_t pid) {
  int subnet = static_cast<int>(pid % 250) + 1;
  return Names{fmt::format("haul-c-{}", pid), fmt::format("haul-s-{}", pid),     fmt::format("hc{}", pid),
               fmt::format("hs{}", pid),      fmt::format("10.77.{}.1", subnet), fmt::format("10.77.{}.2", subnet)};
}

// Moves the device into the namespace and gives it a point-to-point address.
void configure_side(const TunDevice& dev, const Netns& ns, const std::string& local, const std::string& peer) {
  run_checked({"ip", "link", "set", dev.name(), "netns", ns.name()});
  run_checked({"ip", "-n", ns.name(), "link", "set", "lo", "up"});
  // txqueuelen 10000: TUN orphans skbs, so TCP Small Queues does not hold a
  // sender back and a warm cubic sender overflows the default 1000.
  run_checked({"ip", "-n", ns.name(), "link", "set", dev.name(), "mtu", "1500", "txqueuelen", "10000", "up"});
  run_checked({"ip", "-n", ns.name(), "addr", "add", local, "peer", peer, "dev", dev.name()});
  try {  // keep IPv6 router solicitations off the emulated link
    ns.set_sysctl("net.ipv6.conf." + dev.name() + ".disable_ipv6", "1");
  } catch (const Error&) {
  }
}

// Kills the server command's process group when the scope ends.
struct ServerGuard {
  pid_t pid = -1;
  ~ServerGuard() {
    if (pid > 0) {
      int status = end_child(pid, true, SIGTERM, milliseconds(5000));
      if (status != -1) std::fprintf(stderr, "netem: server command ended (%d)\n", exit_code_of(status));
    }
  }
};

// Restores the caller's signal mask when the scope ends.
struct MaskGuard {
  sigset_t old{};
  ~MaskGuard() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
};

std::string describe(const LinkConfig& c) {
  std::string rate = c.rate_bps == 0 ? "unlimited" : fmt::format("{:g} Mbit/s", static_cast<double>(c.rate_bps) / 1e6);
  std::string queue = c.rate_bps == 0 ? "no queue" : fmt::format("queue {} bytes", effective_queue_bytes(c));
  return fmt::format("delay {:g} ms each way, rate {}, {}, loss {:g}", static_cast<double>(c.delay.count()) / 1e6, rate,
                     queue, c.loss);
}

void print_stats(const Forwarder& f) {
  const ForwarderStats& s = f.stats();
  uint64_t written = s.link.delivered;
  fmt::print(stderr,
             "netem: {}: {} packets ({} bytes) in, {} delivered, lost {}, queue drops {}, write errors {}, "
             "late mean {:.1f} us max {:.1f} us, >1 ms late {}{}\n",
             f.label(), s.link.offered, s.link.offered_bytes, written, s.link.lost, s.link.queue_drops, s.write_errors,
             written ? static_cast<double>(s.late_ns_total) / written / 1e3 : 0.0,
             static_cast<double>(s.late_ns_max) / 1e3, s.late_over_1ms, s.realtime ? "" : " (normal priority)");
}

}  // namespace

int cleanup_stale_namespaces() {
  int deleted = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("haul-c-", 0) != 0 && name.rfind("haul-s-", 0) != 0) continue;
    std::string pid = name.substr(7);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::filesystem::exists("/proc/" + pid, ec)) continue;
    if (run_quiet({"ip", "netns", "delete", name})) {
      fmt::print(stderr, "netem: deleted stale namespace {}\n", name);
      ++deleted;
    }
  }
  return deleted;
}

std::pair<std::string, std::string> parse_sysctl_assignment(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw Error(ErrorKind::config, "--sysctl wants key=value, got '" + text + "'");
  std::string key = text.substr(0, eq);
  if (key.find('/') != std::string::npos || key.find("..") != std::string::npos)
    throw Error(ErrorKind::config, "bad sysctl key '" + key + "'");
  return {key, text.substr(eq + 1)};
}

int run_relay(const RelayConfig& config) {
  validate(config.link);
  if (geteuid() != 0)
    throw Error(ErrorKind::config, "netem needs root (it creates network namespaces and TUN devices)");
  if (access("/dev/net/tun", R_OK | W_OK) != 0)
    throw Error(ErrorKind::config, "netem needs /dev/net/tun (TUN support), which is missing here");

  // Signals are taken synchronously by this thread (sigtimedwait); every
  // thread started from here inherits the block, children get the old mask.
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&handled, sig);
  MaskGuard mask;
  pthread_sigmask(SIG_BLOCK, &handled, &mask.old);

  const Names n = names_for(getpid());
  // Destruction runs in reverse: children, forwarders, TUNs, namespaces, host list.
  std::optional<AllowedCongestionControl> allowed;
  if (!config.congestion_control.empty()) allowed.emplace(config.congestion_control);
  Netns client_ns(n.client_ns);
  Netns server_ns(n.server_ns);
  TunDevice client_dev(n.client_dev);
  TunDevice server_dev(n.server_dev);
  configure_side(client_dev, client_ns, n.client_addr, n.server_addr);
  configure_side(server_dev, server_ns, n.server_addr, n.client_addr);
  for (const Netns* ns : {&client_ns, &server_ns}) {
    if (!config.congestion_control.empty())
      ns->set_sysctl("net.ipv4.tcp_congestion_control", config.congestion_control);
    for (const auto& [key, value] : config.sysctls) ns->set_sysctl(key, value);
  }

  LinkConfig down = config.link;
  down.seed = config.link.seed + 1;  // independent losses per direction
  Forwarder up_fwd("client->server", client_dev.fd(), server_dev.fd(), config.link);
  Forwarder down_fwd("server->client", server_dev.fd(), client_dev.fd(), down);
  up_fwd.start();
  down_fwd.start();
  fmt::print(stderr, "netem: {} ({}) <-> {} ({}): {}\n", n.client_ns, n.client_addr, n.server_ns, n.server_addr,
             describe(config.link));

  std::vector<std::string> env = {"HAUL_NETEM_SERVER=" + n.server_addr, "HAUL_NETEM_CLIENT=" + n.client_addr,
                                  "HAUL_NETEM_SERVER_NS=" + n.server_ns, "HAUL_NETEM_CLIENT_NS=" + n.client_ns};
  ServerGuard server;
  if (!config.server_cmd.empty()) {
    server.pid = spawn_child(ChildSpec{server_ns.path(), {"/bin/sh", "-c", config.server_cmd}, env, true, mask.old});
  }

  int exit_code = 0;
  pid_t client = -1;
  if (!config.command.empty()) {
    client = spawn_child(ChildSpec{client_ns.path(), config.command, env, false, mask.old});
  } else {
    fmt::print(stderr,
               "netem: link is up; Ctrl-C or SIGTERM ends it.\n"
               "  client side: ip netns exec {} CMD   (server address {})\n"
               "  server side: ip netns exec {} CMD   (client address {})\n",
               n.client_ns, n.server_addr, n.server_ns, n.client_addr);
  }

  // Wait for the client to exit or a signal. A signal is forwarded to the
  // client (which, in a terminal, usually got it too); it has 5 s to exit.
  std::optional<std::chrono::steady_clock::time_point> kill_at;
  for (;;) {
    timespec tick{0, 100'000'000};
    siginfo_t info{};
    int sig = sigtimedwait(&handled, &info, &tick);
    if (sig > 0 && sig != SIGCHLD) {
      if (client < 0) break;
      kill(client, sig);
      if (!kill_at) kill_at = std::chrono::steady_clock::now() + milliseconds(5000);
    }
    int status = 0;
    if (client > 0 && reap_if_exited(client, status)) {
      exit_code = exit_code_of(status);
      break;
    }
    if (server.pid > 0 && reap_if_exited(server.pid, status)) {
      fmt::print(stderr, "netem: server command exited ({})\n", exit_code_of(status));
      kill(-server.pid, SIGKILL);
      server.pid = -1;
    }
    if (kill_at && std::chrono::steady_clock::now() > *kill_at) {
      kill(client, SIGKILL);
      kill_at.reset();
    }
  }

  {  // Teardown that reports: server first (it may be mid-transfer), then the link.
    ServerGuard ending;
    std::swap(ending.pid, server.pid);
  }
  up_fwd.stop();
  down_fwd.stop();
  print_stats(up_fwd);
  print_stats(down_fwd);
  fmt::print(stderr, "netem: TUN tx_dropped: {} {}, {} {}\n", n.client_dev, client_ns.tx_dropped(n.client_dev),
             n.server_dev, server_ns.tx_dropped(n.server_dev));
  return exit_code;
}

}  // namespace haul::netem
