#include "doctor/local_reader.hpp"

#include <sys/resource.h>

#include "core/error.hpp"
#include "net/sock_diag.hpp"
#include "net/tcp_state.hpp"

namespace haul::doctor {

LocalFacts read_local_facts() {
  using net::read_sysctl;
  LocalFacts x;
  x.window_scaling = read_sysctl("net.ipv4.tcp_window_scaling");
  x.sack = read_sysctl("net.ipv4.tcp_sack");
  x.timestamps = read_sysctl("net.ipv4.tcp_timestamps");
  x.tcp_rmem = read_sysctl("net.ipv4.tcp_rmem");
  x.tcp_wmem = read_sysctl("net.ipv4.tcp_wmem");
  x.rmem_max = read_sysctl("net.core.rmem_max");
  x.wmem_max = read_sysctl("net.core.wmem_max");
  x.slow_start_after_idle = read_sysctl("net.ipv4.tcp_slow_start_after_idle");
  x.congestion_control = read_sysctl("net.ipv4.tcp_congestion_control");
  x.available_cc = read_sysctl("net.ipv4.tcp_available_congestion_control");
  x.allowed_cc = read_sysctl("net.ipv4.tcp_allowed_congestion_control");
  x.fastopen = read_sysctl("net.ipv4.tcp_fastopen");
  x.somaxconn = read_sysctl("net.core.somaxconn");
  x.max_syn_backlog = read_sysctl("net.ipv4.tcp_max_syn_backlog");
  x.fin_timeout = read_sysctl("net.ipv4.tcp_fin_timeout");
  x.tw_reuse = read_sysctl("net.ipv4.tcp_tw_reuse");
  x.tw_recycle = read_sysctl("net.ipv4.tcp_tw_recycle");
  x.port_range = read_sysctl("net.ipv4.ip_local_port_range");
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    auto conv = [](rlim_t v) { return v == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(v); };
    x.nofile = Rlimit{conv(rl.rlim_cur), conv(rl.rlim_max)};
  }
  try {
    net::SocketQuery q;
    q.states = 1u << net::tcp_time_wait;
    x.time_wait_count = net::dump_tcp_sockets(q).size();
  } catch (const Error&) {
    // Without sock_diag the tw_reuse check just cannot see the pile.
  }
  return x;
}

}  // namespace haul::doctor
