#include "client/bench.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "client/client.hpp"
#include "client/get_op.hpp"
#include "client/metrics_text.hpp"
#include "client/op.hpp"
#include "client/put_op.hpp"
#include "core/error.hpp"
#include "http_client/exchange.hpp"

namespace haul::client {

void validate(const BenchConfig& b) {
  if (b.mode != "new" && b.mode != "reuse" && b.mode != "pool")
    throw Error(ErrorKind::config, "--mode must be new, reuse or pool");
  if (b.op != "put" && b.op != "get") throw Error(ErrorKind::config, "--op must be put or get");
  if (b.repeat < 1 || b.repeat > 100000) throw Error(ErrorKind::config, "--repeat must be between 1 and 100000");
  if (b.size > (4ull << 30)) throw Error(ErrorKind::config, "--size must be at most 4 GiB");
  if (b.rtt_ms < 0) throw Error(ErrorKind::config, "--rtt-ms must not be negative");
  if (b.gap_ms > 600000) throw Error(ErrorKind::config, "--gap-ms must be at most 600000");
}

namespace {

// Reads haul_connections_accepted_total over its own keep-alive connection,
// so the second reading reuses the first one's connection and the delta is
// exactly the bench's connections.
class MetricsReader {
 public:
  explicit MetricsReader(const ClientConfig& c) {
    options_.url = c.gateway + "/metrics";
    options_.unix_socket = c.unix_socket;
    if (!c.token.empty()) options_.headers.push_back("Authorization: Bearer " + c.token);
    options_.timeout_ms = 10000;
    options_.http11 = false;
    options_.keepalive = false;
    options_.tls = c.tls;
  }

  std::optional<double> accepted() {
    http_client::BodyCollector body(16 << 20);
    exchange_.prepare(options_, body);
    if (exchange_.perform().failure != http_client::Failure::none) return std::nullopt;
    if (exchange_.head().status != 200) return std::nullopt;
    auto v = prometheus_value(body.text, "haul_connections_accepted_total");
    // A reading that had to reconnect counted its own connection: take it off.
    if (v && readings_++ > 0) *v -= static_cast<double>(exchange_.connections_opened());
    return v;
  }

 private:
  http_client::Options options_;
  http_client::Exchange exchange_;
  unsigned readings_ = 0;
};

// A driver with nothing to do: runs the pool's warm-ups alone.
class Idle final : public Driver {
 public:
  std::unique_ptr<Request> next() override { return nullptr; }
  void done(std::unique_ptr<Request>) override {}
  bool finished() const override { return true; }
};

std::shared_ptr<const std::string> bench_data(uint64_t size) {
  auto data = std::make_shared<std::string>(size, '\0');
  std::mt19937_64 rng(size * 2654435761u + 1);
  for (uint64_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    std::memcpy(data->data() + i, &v, std::min<uint64_t>(8, size - i));
  }
  return data;
}

double measured_rtt(const std::vector<TransferStats>& results) {
  double best = 0;
  for (const auto& s : results) {
    double handshake = s.timings.connect_ms - s.timings.dns_ms;
    if (s.connections_opened > 0 && handshake > 0 && (best == 0 || handshake < best)) best = handshake;
  }
  if (best > 0) return best;
  for (const auto& s : results)
    if (s.tcp && s.tcp->min_rtt_us > 0) return s.tcp->min_rtt_us / 1000.0;
  return 0;
}

// One line per request: JSON, or a human line with its round trips and TCP_INFO.
void print_request(std::ostream& out, const BenchConfig& b, unsigned i, const TransferStats& s) {
  if (b.json) {
    nlohmann::json j = {{"i", i},
                        {"ms", s.total_ms},
                        {"bytes", s.bytes},
                        {"connection_reused", s.connection_reused},
                        {"connections_opened", s.connections_opened},
                        {"requests", s.requests},
                        {"connect_ms", s.timings.connect_ms},
                        {"tls_ms", s.timings.tls_ms},
                        {"first_byte_ms", s.timings.first_byte_ms},
                        {"rtts", b.rtt_ms > 0 ? nlohmann::json(s.total_ms / b.rtt_ms) : nlohmann::json(nullptr)}};
    j["tcp_info"] = s.tcp ? nlohmann::json::parse(net::tcp_info_json(*s.tcp)) : nlohmann::json(nullptr);
    out << j.dump() << "\n";
  } else {
    std::string line = fmt::format("  #{:<3} {:9.2f} ms  {:>9}  {}", i, s.total_ms, format_bytes(s.bytes),
                                   s.connection_reused ? "reused" : fmt::format("new({})", s.connections_opened));
    if (b.rtt_ms > 0) line += "  " + in_rtts(s.total_ms, b.rtt_ms);
    if (s.tcp)
      line += fmt::format("  rtt {:.2f} ms cwnd {} retrans {} {}", s.tcp->rtt_us / 1000.0, s.tcp->snd_cwnd,
                          s.tcp->total_retrans, s.tcp->congestion);
    out << line << "\n";
  }
}

}  // namespace

void run_bench(const ClientConfig& config, const BenchConfig& b, std::ostream& out) {
  validate(config);
  validate(b);
  auto data = bench_data(b.size);
  auto source = std::make_shared<MemorySource>(data);
  std::string key = fmt::format("haul-bench/{}-{}", b.size, ::getpid());
  bool fresh = b.mode == "new";
  bool pool_mode = b.mode == "pool";

  ClientConfig pc = config;
  pc.connections = pool_mode ? config.connections : 1;
  std::string sha;
  if (b.op == "get") {
    // The object to fetch, uploaded over a pool that is gone before counting
    // starts; its SHA-256 (from the PUT answer) checks every download.
    Pool setup(pc);
    PutOp put(setup, source, key, pc.part_size);
    setup.run(put, pc.connections);
    if (put.error()) throw *put.error();
    sha = put.stats().sha256;
  }

  MetricsReader metrics(config);
  auto before = metrics.accepted();

  Pool pool(pc);
  if (pool_mode) {
    pool.warm(pc.connections);
    Idle idle;
    pool.run(idle, 1);
  }
  if (!b.json)
    out << fmt::format("bench {} {} x{} mode={} connections={}{}\n", b.op, format_bytes(b.size), b.repeat, b.mode,
                       pc.connections, pool_mode ? " (warm)" : "");

  std::vector<TransferStats> results;
  NullSink sink;
  for (unsigned i = 0; i < b.repeat; ++i) {
    if (i > 0 && b.gap_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(b.gap_ms));
    TransferStats s;
    if (b.op == "put") {
      PutOp op(pool, source, key, pc.part_size, fresh);
      pool.run(op, pc.connections);
      if (op.error()) throw *op.error();
      s = op.stats();
    } else {
      // new/reuse: one plain GET per request, as the seed did; pool: ranges spread over the pool.
      uint64_t part = pool_mode ? spread_part_size(b.size, pc.connections) : std::max<uint64_t>(b.size, 1);
      GetOp op(pool, key, sink, part, b.size, sha, fresh);
      pool.run(op, pc.connections);
      if (op.error()) throw *op.error();
      s = op.stats();
    }
    results.push_back(s);
    print_request(out, b, i, s);
    out.flush();
  }

  auto after = metrics.accepted();
  std::optional<long> gateway_opened;
  if (before && after) gateway_opened = std::lround(*after - *before);
  std::vector<double> ms;
  for (const auto& s : results) ms.push_back(s.total_ms);
  Summary sum = summarize(ms);
  double rtt = b.rtt_ms > 0 ? b.rtt_ms : measured_rtt(results);

  if (b.json) {
    nlohmann::json j = {
        {"summary", true},
        {"op", b.op},
        {"mode", b.mode},
        {"size", b.size},
        {"repeat", b.repeat},
        {"gap_ms", b.gap_ms},
        {"connections", pc.connections},
        {"median_ms", sum.median_ms},
        {"min_ms", sum.min_ms},
        {"max_ms", sum.max_ms},
        {"mean_ms", sum.mean_ms},
        {"connections_opened", pool.connections_opened()},
        {"gateway_connections_accepted", gateway_opened ? nlohmann::json(*gateway_opened) : nlohmann::json(nullptr)},
        {"rtt_ms", rtt > 0 ? nlohmann::json(rtt) : nlohmann::json(nullptr)},
        {"rtt_measured", b.rtt_ms <= 0},
        {"median_rtts", rtt > 0 ? nlohmann::json(sum.median_ms / rtt) : nlohmann::json(nullptr)}};
    out << j.dump() << "\n";
  } else {
    std::string rtts = rtt > 0 ? fmt::format(" ({})", in_rtts(sum.median_ms, rtt)) : "";
    out << fmt::format("median {:.2f} ms{}  min {:.2f} ms  max {:.2f} ms\n", sum.median_ms, rtts, sum.min_ms,
                       sum.max_ms);
    out << fmt::format("connections opened: {} (libcurl), {} (gateway haul_connections_accepted_total delta)\n",
                       pool.connections_opened(), gateway_opened ? std::to_string(*gateway_opened) : "unknown");
    if (rtt > 0)
      out << fmt::format("rtt {:.3f} ms ({}); limit for a warm request: 1 RTT + size/rate\n", rtt,
                         b.rtt_ms > 0 ? "given" : "measured from connect time");
  }
  out.flush();
  // Leave nothing behind (after the reading, so this connection is not counted).
  try {
    remove_object(pool, key);
  } catch (const Error&) {
  }
}

}  // namespace haul::client
