#include "client/client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "client/get_op.hpp"
#include "client/op.hpp"
#include "client/put_op.hpp"
#include "net/nofile.hpp"

namespace haul::client {

namespace {

class Ticker {
 public:
  explicit Ticker(RequestPool& pool, bool show) : pool_(pool), show_(show), start_(std::chrono::steady_clock::now()) {}
  std::function<void()> fn() {
    if (!show_) return {};
    return [this] { draw_progress(pool_.progress(), elapsed(), false); };
  }
  void finish() {
    if (show_) draw_progress(pool_.progress(), elapsed(), true);
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  RequestPool& pool_;
  bool show_;
  std::chrono::steady_clock::time_point start_;
};

bool show_progress() {
  return ::isatty(STDERR_FILENO) == 1;
}

// Runs op with the pool allowed `connections` (stripes, cold ranges; at least
// --connections), then back to --connections whatever happens.
void run_widened(RequestPool& pool, Driver& op, unsigned connections, std::function<void()> tick) {
  pool.widen(connections);
  try {
    pool.run(op, std::max(pool.config().connections, connections), std::move(tick));
  } catch (...) {
    pool.narrow();
    throw;
  }
  pool.narrow();
}

}  // namespace

void draw_progress(const Progress& p, double elapsed_s, bool done) {
  uint64_t total = p.total.load(), now = p.done.load();
  double rate = elapsed_s > 0 ? static_cast<double>(now) / elapsed_s : 0;
  std::string line;
  if (total > 0) {
    double frac = std::min(1.0, static_cast<double>(now) / static_cast<double>(total));
    int filled = static_cast<int>(frac * 30);
    double eta = rate > 0 ? static_cast<double>(total - std::min(total, now)) / rate : 0;
    line = fmt::format("\r[{}{}] {:5.1f}% {} / {} {} ETA {:.0f}s ", std::string(filled, '#'),
                       std::string(30 - filled, ' '), frac * 100, format_bytes(now), format_bytes(total),
                       format_rate(now, elapsed_s * 1000), eta);
  } else {
    line = fmt::format("\r{} {} ", format_bytes(now), format_rate(now, elapsed_s * 1000));
  }
  std::fputs(line.c_str(), stderr);
  if (done) std::fputs("\n", stderr);
  std::fflush(stderr);
}

TransferStats put_file(RequestPool& pool, const std::string& path, const std::string& key) {
  auto source = std::make_shared<FileSource>(path);
  const auto& cfg = pool.config();
  // The first upload of a cold pool goes out as stripes, each over its own
  // fresh connection (config.hpp cold_stripes); the pool then shrinks back.
  // An object big enough for the parts API goes that way: stripes replace
  // only a single PUT.
  // On a path known to be short (this host, or a recent measurement) stripes
  // do not pay and are not planned; on an unknown one the first stripe
  // probes before the others open their connections (path_memory.hpp).
  std::optional<StripeLayout> stripes;
  const bool parts = use_parts(source->size(), cfg.part_size);
  const auto rtt = pool.path_rtt_us();
  if (pool.cold() && !parts && (!rtt || *rtt >= kStripeMinRttUs)) {
    const uint64_t target = cfg.gateway.starts_with("https://") ? kStripeTargetTls : kStripeTarget;
    stripes = plan_stripes(source->size(), cold_request_limit(cfg.cold_stripes, cfg.cold_flight, target), target);
  }
  if (parts) pool.warm(cfg.connections);
  pool.progress().total += source->size();
  // Parts in full rounds of --connections (plan.hpp balanced_part_size).
  const uint64_t part_size = parts ? balanced_part_size(source->size(), cfg.part_size, cfg.connections) : cfg.part_size;
  PutOp op(pool, source, key, part_size, false, stripes, !rtt);
  Ticker ticker(pool, show_progress() && source->size() >= (1u << 20));
  run_widened(pool, op, stripes ? stripes->count : 0, ticker.fn());
  ticker.finish();
  if (op.error()) throw *op.error();
  return op.stats();
}

namespace {
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

TransferStats get_file(RequestPool& pool, const std::string& key, const std::string& path) {
  const auto& cfg = pool.config();
  std::unique_ptr<Sink> sink;
  // A device or pipe (/dev/null, a FIFO) is written in place: a temp file
  // renamed over it would replace the device with a regular file.
  struct stat st {};
  FdCloser special;
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    special.fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (special.fd < 0) throw Error(ErrorKind::io, "cannot open " + path + " for writing");
  }
  if (path == "-")
    sink = std::make_unique<StreamSink>(STDOUT_FILENO);
  else if (special.fd >= 0)
    sink = std::make_unique<StreamSink>(special.fd);
  else
    sink = std::make_unique<TempFileSink>(path);
  Ticker ticker(pool, show_progress() && path != "-" && special.fd < 0);
  // The first download of a cold pool over a path not known to be short:
  // cold ranges, each over its own fresh connection (plan.hpp ColdRanges),
  // the rest spread over the connections they opened; the pool then shrinks
  // back. An unknown path is probed by the first range (as for stripes).
  const auto rtt = pool.path_rtt_us();
  std::optional<ColdRanges> cold;
  // 12 KiB over TLS too: the server's first flight after the handshake
  // holds its tickets and the answer, not the client's Finished (plan.hpp).
  if (sink->random_access() && pool.cold() && (!rtt || *rtt >= kStripeMinRttUs)) {
    cold = plan_cold_ranges(cold_request_limit(cfg.cold_stripes, cfg.cold_flight, kStripeTarget), kStripeTarget,
                            cfg.connections);
  }
  if (cold) {
    GetOp op(pool, key, *sink, cfg.part_size, *cold, !rtt);
    run_widened(pool, op, cold->count + 1, ticker.fn());  // and the HEAD's connection
    ticker.finish();
    if (op.error()) throw *op.error();
    return op.stats();
  }
  // The size is unknown until the first answer; warm the rest of the pool
  // meanwhile so the remaining ranges find open connections.
  if (sink->random_access()) pool.warm(cfg.connections);
  GetOp op(pool, key, *sink, cfg.part_size);
  pool.run(op, cfg.connections, ticker.fn());
  ticker.finish();
  if (op.error()) throw *op.error();
  return op.stats();
}

void list_objects(RequestPool& pool, const std::string& prefix, const std::function<void(const ListEntry&)>& each) {
  std::optional<std::string> after;
  for (;;) {
    auto r = std::make_unique<Request>();
    r->path = "/v1/objects?prefix=" + encode_query(prefix) + "&limit=1000";
    if (after) r->path += "&after=" + encode_query(*after);
    r->accept_gzip = true;
    auto answer = run_request(pool, std::move(r), "ls", prefix);
    auto j = nlohmann::json::parse(answer->body, nullptr, false);
    if (!j.is_object() || !j.contains("objects") || !j["objects"].is_array())
      throw Error(ErrorKind::internal, "ls: gateway sent a listing without objects");
    for (const auto& o : j["objects"]) {
      if (!o.is_object() || !o.contains("key")) continue;
      ListEntry e;
      e.key = o["key"].get<std::string>();
      e.size = o.value("size", uint64_t{0});
      if (o.contains("mtime")) e.mtime = o["mtime"].is_string() ? o["mtime"].get<std::string>() : o["mtime"].dump();
      each(e);
    }
    if (!j.contains("next_after") || !j["next_after"].is_string()) return;
    after = j["next_after"].get<std::string>();
  }
}

void remove_object(RequestPool& pool, const std::string& key) {
  auto r = std::make_unique<Request>();
  r->method = "DELETE";
  r->path = "/v1/objects/" + encode_key(key);
  run_request(pool, std::move(r), "rm", key);
}

namespace {

// Transfers in flight for a tree: --inflight (or the protocol's default),
// within the open-file limit (raised to its hard limit first): each running
// or queued transfer holds a file open.
unsigned tree_inflight(const ClientConfig& cfg) {
  const auto [soft, hard] = net::raise_nofile_limit();
  constexpr unsigned long kOtherDescriptors = 128;  // sockets, stdio, libraries
  const unsigned wanted = effective_inflight(cfg);
  if (soft == 0) return wanted;  // unknown: as asked
  const unsigned long room = soft > kOtherDescriptors ? (soft - kOtherDescriptors) / 2 : 1;
  return static_cast<unsigned>(std::clamp<unsigned long>(wanted, 1, std::max<unsigned long>(room, 1)));
}

TreeResult run_tree(RequestPool& pool, OpGroup& group, unsigned inflight) {
  const auto& cfg = pool.config();
  // Over HTTP/2 no HTTP/1.1 warm-ups: streams launched while the warm-ups'
  // HTTP/1.1 connections were still in their handshakes waited for them
  // (PIPEWAIT), found they cannot multiplex and opened HTTP/2 connections of
  // their own: `haul get --recursive` of 300 files opened 8 extra HTTP/2
  // connections in 4 of 8 runs on loopback, where libcurl 7.88 can mismatch
  // answers (pool.cpp). Big files in a tree open their part connections when
  // they need them. The HTTP/2 connections the streams spread over are warmed
  // with streams of their own (each in its own multi), during a listing.
  if (uses_http2(cfg))
    pool.warm_streams();
  else
    pool.warm(cfg.connections);
  pool.run(group, std::max(inflight, cfg.connections));
  if (group.first_error()) throw *group.first_error();
  return TreeResult{group.succeeded(), group.failed()};
}

}  // namespace

TreeResult put_tree(RequestPool& pool, const std::string& dir, const std::string& prefix, const OnFinished& each) {
  const unsigned inflight = tree_inflight(pool.config());
  PutTree tree(pool, dir, prefix, inflight, each);
  return run_tree(pool, tree, inflight);
}

TreeResult get_tree(RequestPool& pool, const std::string& prefix, const std::string& dir, const OnFinished& each) {
  const unsigned inflight = tree_inflight(pool.config());
  GetTree tree(pool, prefix, dir, inflight, each);
  return run_tree(pool, tree, inflight);
}

}  // namespace haul::client
