// haul netem: the long link, emulated in user space between two network
// namespaces (see docs/netem.md). Flags -> RelayConfig -> run_relay().
#include <chrono>
#include <memory>

#include "apps/haul/commands.hpp"
#include "core/error.hpp"
#include "core/size_parse.hpp"
#include "netem/relay.hpp"

namespace haul::app {

namespace {

struct NetemFlags {
  double delay_ms = 100;
  std::string rate = "0";
  std::string queue = "0";
  double loss = 0;
  uint64_t seed = 1;
  std::string server_cmd;
  std::string cc;
  std::vector<std::string> sysctls;
  std::vector<std::string> command;
  bool cleanup = false;
};

netem::RelayConfig to_config(const NetemFlags& f) {
  netem::RelayConfig c;
  if (!(f.delay_ms >= 0)) throw Error(ErrorKind::config, "--delay-ms must be >= 0");
  c.link.delay = std::chrono::nanoseconds(static_cast<int64_t>(f.delay_ms * 1e6));
  auto rate = parse_rate_bps(f.rate);
  if (!rate) throw Error(ErrorKind::config, "--rate: cannot parse '" + f.rate + "' (e.g. 100mbit, 1gbit, 0)");
  c.link.rate_bps = *rate;
  auto queue = parse_size(f.queue);
  if (!queue) throw Error(ErrorKind::config, "--queue-bytes: cannot parse '" + f.queue + "' (e.g. 2500000, 512K)");
  c.link.queue_bytes = *queue;
  c.link.loss = f.loss;
  c.link.seed = f.seed;
  netem::validate(c.link);
  c.server_cmd = f.server_cmd;
  c.command = f.command;
  c.congestion_control = f.cc;
  for (const auto& s : f.sysctls) c.sysctls.push_back(netem::parse_sysctl_assignment(s));
  return c;
}

}  // namespace

void add_netem_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "netem",
      "Emulate a long link (root): two network namespaces joined by TUN devices, packets forwarded in user space "
      "after a one-way delay, through a rate limit with a drop-tail queue, with seeded random loss. "
      "`haul netem [opts] -- CMD...` runs CMD in the client namespace with HAUL_NETEM_SERVER set to the server "
      "side's address and exits with its status; without CMD it stays up until SIGINT/SIGTERM.");
  auto f = std::make_shared<NetemFlags>();
  cmd->add_option("--delay-ms", f->delay_ms, "One-way delay in ms, each direction (RTT = 2x)")->capture_default_str();
  cmd->add_option("--rate", f->rate, "Bottleneck rate each direction, e.g. 100mbit, 1gbit; 0 = unlimited")
      ->capture_default_str();
  cmd->add_option("--queue-bytes", f->queue, "Drop-tail queue bound in bytes; 0 = one bandwidth-delay product")
      ->capture_default_str();
  cmd->add_option("--loss", f->loss, "Random loss probability per packet, each direction, e.g. 0.01")
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed of the loss generator")->capture_default_str();
  cmd->add_option("--server-cmd", f->server_cmd, "Shell command started first in the server namespace");
  cmd->add_option("--cc", f->cc, "TCP congestion control in both namespaces")
      ->check(CLI::IsMember({"bbr", "cubic", "reno"}));
  cmd->add_option("--sysctl", f->sysctls,
                  "key=value set in both namespaces (repeatable), "
                  "e.g. net.ipv4.tcp_slow_start_after_idle=0")
      ->allow_extra_args(false);
  cmd->add_flag("--cleanup", f->cleanup,
                "Delete namespaces left by a haul netem that was killed with SIGKILL, then exit");
  cmd->add_option("command", f->command, "Command run in the client namespace (after --)");
  cmd->callback([f] {
    if (f->cleanup) {
      netem::cleanup_stale_namespaces();
      return;
    }
    int code = netem::run_relay(to_config(*f));
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace haul::app
