#include "doctor/trace.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <thread>

#include "core/error.hpp"
#include "doctor/generated_body.hpp"
#include "doctor/path_probe.hpp"
#include "http_client/exchange.hpp"
#include "net/run_command.hpp"
#include "net/sock_diag.hpp"
#include "net/tcp_state.hpp"

namespace haul::doctor {

namespace {

using Clock = std::chrono::steady_clock;

// The transfer's socket, handed to the sampler thread as libcurl opens it.
struct Shared final : http_client::SocketHooks {
  std::atomic<int> fd{-1};
  std::atomic<bool> done{false};
  void on_open(int socket) override { fd.store(socket); }
};

uint16_t local_port_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

// The gateway's end of our connection, when the gateway runs in this network
// namespace (loopback, netem namespace pairs excluded): sock_diag finds the
// socket whose remote port is our local port.
std::optional<net::TcpInfo> peer_info(uint16_t our_port) {
  net::SocketQuery q;
  q.port = our_port;
  q.match = net::PortMatch::local_or_remote;
  q.want_info = true;
  q.states = 1u << net::tcp_established;
  try {
    for (const auto& e : net::dump_tcp_sockets(q))
      if (e.remote_port == our_port && e.local_port != our_port && e.info) return e.info;
  } catch (const Error&) {
  }
  return std::nullopt;
}

void sampler(Shared& shared, const TraceOptions& o, Clock::time_point start, std::vector<TraceSample>& out,
             std::string& side) {
  // For a download, look for the gateway's socket until it shows up (with
  // TCP_DEFER_ACCEPT it is not established before our request arrives) or
  // 500 ms pass; meanwhile keep our own samples in case it never does.
  enum class Side {
    undecided,
    peer,
    client
  } which = o.direction == TraceDirection::download ? Side::undecided : Side::client;
  std::vector<TraceSample> own;
  std::optional<Clock::time_point> first_seen;
  uint16_t our_port = 0;
  auto interval = std::chrono::milliseconds(std::max(1, o.interval_ms));
  auto next = Clock::now();
  while (!shared.done.load()) {
    int fd = shared.fd.load();
    if (fd >= 0) {
      auto now = Clock::now();
      double t_ms = std::chrono::duration<double, std::milli>(now - start).count();
      if (!first_seen) first_seen = now;
      if (which != Side::client) {
        if (our_port == 0) our_port = local_port_of(fd);
        std::optional<net::TcpInfo> peer = our_port ? peer_info(our_port) : std::nullopt;
        if (peer) {
          which = Side::peer;
          if (peer->state != 0) out.push_back(trace_sample(*peer, t_ms));
        } else if (which == Side::undecided && now - *first_seen > std::chrono::milliseconds(500)) {
          which = Side::client;  // the gateway is on another host
          out = std::move(own);
          own.clear();  // moved from: empty on purpose, it is not read again
        }
      }
      if (which != Side::peer) {
        auto info = net::read_tcp_info(fd);
        if (info && info->state != 0) (which == Side::client ? out : own).push_back(trace_sample(*info, t_ms));
      }
    }
    next += interval;
    std::this_thread::sleep_until(next);
  }
  if (which == Side::undecided) out = std::move(own);
  if (o.direction == TraceDirection::upload) {
    side = "client socket (the sender of an upload)";
  } else if (which == Side::peer) {
    side = "gateway socket (the sender of a download), read through sock_diag";
  } else {
    side =
        "client socket (the receiver of a download: cwnd and in-flight stay small; the gateway's socket was not "
        "found in this network namespace: run the trace on the gateway host or trace an upload)";
  }
}

}  // namespace

TraceResult run_trace(const TraceOptions& o) {
  const std::string base = gateway_base(o.url);

  Shared shared;
  GeneratedBody src{o.size};
  http_client::Handler discard;  // a download's body is dropped
  http_client::Options opt;
  opt.connect_timeout_ms = 5000;
  opt.timeout_ms = 600000;
  opt.http11 = false;
  opt.keepalive = false;
  opt.tls = o.tls;
  opt.headers.push_back("Authorization: Bearer " + o.token);
  opt.sockets = &shared;
  if (o.direction == TraceDirection::upload) {
    opt.url = base + "/v1/probe/upload";
    opt.method = "PUT";
    opt.streamed_size = o.size;
  } else {
    opt.url = fmt::format("{}/v1/probe/download?bytes={}", base, o.size);
  }
  http_client::Exchange h;
  h.prepare(opt, o.direction == TraceDirection::upload ? static_cast<http_client::Handler&>(src) : discard);

  TraceResult r;
  auto start = Clock::now();
  std::thread t([&] { sampler(shared, o, start, r.samples, r.side); });
  auto outcome = h.perform();
  // Stop sampling before the handle (and its socket) can go away.
  shared.done.store(true);
  t.join();

  long code = h.head().status;
  if (outcome.failure != http_client::Failure::none)
    throw Error(ErrorKind::backend_unavailable, "trace transfer: " + outcome.description);
  if (code == 401)
    throw Error(ErrorKind::unauthorized, "the gateway refused the token (401): pass --token or set HAUL_TOKEN");
  if (code != 200) throw Error(ErrorKind::backend_unavailable, fmt::format("trace transfer: HTTP {}", code));
  auto times = h.timings();
  r.transfer = TransferResult{o.size, (times.total_ms - times.sent_ms) / 1000.0};

  r.csv_path = o.out_prefix + ".csv";
  {
    std::ofstream csv(r.csv_path, std::ios::trunc);
    if (!csv) throw Error(ErrorKind::io, "cannot write " + r.csv_path);
    csv << trace_csv_header();
    for (const auto& s : r.samples) csv << trace_csv_row(s);
    if (!csv.flush()) throw Error(ErrorKind::io, "cannot write " + r.csv_path);
  }
  std::string gp = o.out_prefix + ".gp";
  std::string png = o.out_prefix + ".png";
  {
    std::ofstream script(gp, std::ios::trunc);
    script << trace_gnuplot_script(r.csv_path, png,
                                   fmt::format("haul doctor trace: {} of {} bytes",
                                               o.direction == TraceDirection::upload ? "upload" : "download", o.size));
  }
  auto plot = net::run_command({"gnuplot", gp});
  if (plot.status == 0) {
    r.png_path = png;
  } else if (plot.status == 127) {
    r.png_note =
        fmt::format("gnuplot is not installed (apt-get install gnuplot-nox); plot the CSV with: gnuplot {}", gp);
  } else {
    r.png_note = fmt::format("gnuplot failed: {}; the script is {}", plot.output.substr(0, 300), gp);
  }
  return r;
}

}  // namespace haul::doctor
