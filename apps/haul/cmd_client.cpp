// haul put | get | ls | rm | bench: argv -> ClientConfig -> libhaul (src/client).
// Gateway and token come from --gateway/--token or HAUL_GATEWAY/HAUL_TOKEN.
// Data goes to stdout (get KEY -, ls, --json lines); human timing lines and the
// progress bar go to stderr. Failures throw haul::Error: main prints one line.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/haul/commands.hpp"
#include "apps/haul/tls_flags.hpp"
#include "client/bench.hpp"
#include "client/client.hpp"
#include "client/config.hpp"
#include "client/edge_socket.hpp"
#include "client/path_memory.hpp"
#include "client/tls_session_file.hpp"
#include "core/error.hpp"
#include "core/size_parse.hpp"
#include "http_client/base_target.hpp"

namespace haul::app {

namespace {

struct Common {
  client::ClientConfig config;
  // The flag takes a size ("8M"); its default is the config's, in MiB.
  std::string part_size = std::to_string(client::ClientConfig{}.part_size >> 20) + "M";
  std::string cold_flight = std::to_string(client::ClientConfig{}.cold_flight >> 10) + "K";
  bool json = false;
  bool fastopen = false;
};

void add_common(CLI::App* cmd, Common& c, bool transfer_flags) {
  cmd->add_option("--gateway", c.config.gateway,
                  "Gateway URL or unix:PATH (default: env HAUL_EDGE, a running haul edge's default socket,\n"
                  "then env HAUL_GATEWAY), e.g. http://127.0.0.1:8080");
  cmd->add_option("--token", c.config.token, "Bearer token (env HAUL_TOKEN)");
  cmd->add_option("--store", c.config.store, "Named store of the gateway (X-Haul-Store); default: its default store");
  cmd->add_option("--connections", c.config.connections,
                  "TCP connections to the gateway, opened in parallel and reused")
      ->capture_default_str();
  cmd->add_option("--stream-connections", c.config.stream_connections,
                  "HTTP/2 connections the streams of many small transfers spread over (see docs/client.md)")
      ->capture_default_str();
  cmd->add_option("--congestion", c.config.congestion,
                  "TCP congestion control: auto (default: cubic or bbr chosen per upload body, see docs/client.md), or "
                  "a name to pin (bbr, cubic)");
  cmd->add_flag("--fastopen", c.fastopen,
                "TCP Fast Open over http:// too, when the kernel allows it (https:// always uses it; off by "
                "default over http://: libcurl 7.88 then never reuses the connection, see docs/client.md)");
  cmd->add_option("--http", c.config.http,
                  "HTTP version: auto (default: HTTP/2 over https://, small transfers as streams on shared\n"
                  "connections; HTTP/1.1 over http://), 2 (also over http://, needs libcurl 8.0), or 1.1")
      ->check(CLI::IsMember({"auto", "1.1", "2"}))
      ->capture_default_str();
  cmd->add_option("--retries", c.config.retries, "Attempts per idempotent request")->capture_default_str();
  add_tls_flags(cmd, c.config.tls);
  cmd->add_flag("--json", c.json, "One JSON object per transfer and a summary on stdout");
  cmd->add_option("--trace", c.config.trace_file,
                  "Append a JSON line per HTTP request to FILE: start, end, connection, bytes (env HAUL_TRACE; "
                  "bench/part_timeline.py --client reads it)");
  if (transfer_flags) {
    cmd->add_option("--part-size", c.part_size, "Part/range size for big objects, multiple of 64K")
        ->capture_default_str();
    cmd->add_option(
        "--inflight", c.config.inflight,
        "Transfers in flight for --recursive (default: 1000 over HTTP/2, at most 256 per connection, 100 per "
        "connection until the first answer; 16 over HTTP/1.1)");
    cmd->add_option("--cold-stripes", c.config.cold_stripes,
                    "The first put or get of a fresh process: up to N stripes or ranges over N fresh connections, "
                    "0 = off (see docs/client.md)")
        ->capture_default_str();
    cmd->add_option("--cold-flight", c.cold_flight,
                    "The most those stripes or ranges carry together in their first round trip, 0 = off")
        ->capture_default_str();
  }
}

// Flags over environment; validated once.
client::ClientConfig finish_config(Common& c) {
  // A running `haul edge` (HAUL_EDGE=http://127.0.0.1:PORT or unix:PATH,
  // else its default socket) comes before HAUL_GATEWAY: its connections
  // across the long link are already warm, so even a fresh process pays
  // only a local connection (docs/edge.md).
  std::string target = c.config.gateway;
  if (target.empty())
    if (const char* env = std::getenv("HAUL_EDGE"); env && *env) target = env;
  if (target.empty())
    if (auto socket = client::running_edge_socket()) target = std::string(http_client::kUnixPrefix) + *socket;
  if (target.empty())
    if (const char* env = std::getenv("HAUL_GATEWAY")) target = env;
  if (c.config.token.empty())
    if (const char* env = std::getenv("HAUL_TOKEN")) c.config.token = env;
  if (c.config.trace_file.empty())
    if (const char* env = std::getenv("HAUL_TRACE")) c.config.trace_file = env;
  client::use_gateway_target(c.config, target);
  auto part = parse_size(c.part_size);
  if (!part) throw Error(ErrorKind::config, "--part-size: not a size: " + c.part_size);
  c.config.part_size = *part;
  auto flight = parse_size(c.cold_flight);
  if (!flight) throw Error(ErrorKind::config, "--cold-flight: not a size: " + c.cold_flight);
  c.config.cold_flight = *flight;
  c.config.fastopen = c.fastopen;
  c.config.tls_session_file = client::tls_session_file();
  finish_tls_flags(c.config.tls, c.config.gateway);
  client::validate(c.config);
  return c.config;
}

// Tells the pool what a recent process measured of the path to its gateway,
// and records what this one measured when the command ends, failed or not
// (src/client/path_memory.hpp: cold uploads decide on stripes with it).
class RememberedPath {
 public:
  explicit RememberedPath(client::Pool& pool) : pool_(pool) {
    pool.set_rtt_hint(client::recall_path_rtt(pool.config().gateway));
  }
  ~RememberedPath() {
    try {
      if (auto rtt = pool_.measured_rtt_us()) client::remember_path_rtt(pool_.config().gateway, *rtt);
    } catch (const std::exception&) {
      // A cache: failing to write it changes nothing the user asked for.
    }
  }
  RememberedPath(const RememberedPath&) = delete;
  RememberedPath& operator=(const RememberedPath&) = delete;

 private:
  client::Pool& pool_;
};

extern "C" void on_sigint(int) {
  client::Pool::interrupt_flag().store(true);
}

void install_sigint() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

// What every transfer command runs on: the pool built from its flags, with
// the path's remembered RTT; interruptible (SIGINT/SIGTERM) when asked.
struct ClientRun {
  ClientRun(Common& c, bool interruptible) : pool(finish_config(c)) {
    if (interruptible) install_sigint();
  }
  client::Pool pool;
  RememberedPath remembered{pool};
};

// Prints each finished transfer and sums them up for the summary line.
class Reporter {
 public:
  Reporter(bool json, FILE* json_out) : json_(json), out_(json_out) {}
  void transfer(const client::TransferStats& s, const std::optional<Error>& error) {
    ++count_;
    if (error) {
      ++failed_;
      if (json_)
        std::fprintf(out_, "%s\n",
                     nlohmann::json{{"op", s.op}, {"key", s.key}, {"error", error->what()}}.dump().c_str());
      return;
    }
    bytes_ += s.bytes;
    connections_ += s.connections_opened;
    if (json_)
      std::fprintf(out_, "%s\n", client::json_line(s).c_str());
    else if (verbose_)
      std::fprintf(stderr, "%s\n", client::human_line(s).c_str());
  }
  void summary(double ms, long pool_connections) {
    if (json_) {
      nlohmann::json j = {{"summary", true},
                          {"transfers", count_},
                          {"failed", failed_},
                          {"bytes", bytes_},
                          {"ms", ms},
                          {"rate_bps", ms > 0 ? bytes_ * 8000.0 / ms : 0},
                          {"connections_opened", pool_connections}};
      std::fprintf(out_, "%s\n", j.dump().c_str());
    } else if (count_ > 1) {
      std::fprintf(stderr, "%zu transfers, %s in %.1f ms (%s), %ld connections opened\n", count_,
                   client::format_bytes(bytes_).c_str(), ms, client::format_rate(bytes_, ms).c_str(), pool_connections);
    }
    std::fflush(out_);
  }
  void set_verbose(bool v) { verbose_ = v; }

 private:
  bool json_;
  FILE* out_;
  bool verbose_ = true;
  size_t count_ = 0, failed_ = 0;
  uint64_t bytes_ = 0;
  long connections_ = 0;
};

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// put and get: two paths (the second optional), --recursive, the common flags.
struct TransferFlags {
  std::shared_ptr<Common> c = std::make_shared<Common>();
  std::shared_ptr<std::vector<std::string>> args = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<bool> recursive = std::make_shared<bool>(false);
};

CLI::App* add_transfer_command(CLI::App& app, const TransferFlags& f, const std::string& name, const std::string& help,
                               const std::string& paths, const std::string& recursive) {
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("paths", *f.args, paths)->required()->expected(1, 2);
  cmd->add_flag("-r,--recursive", *f.recursive, recursive);
  add_common(cmd, *f.c, true);
  return cmd;
}

void add_put(CLI::App& app) {
  TransferFlags f;
  auto* cmd = add_transfer_command(
      app, f, "put", "Upload FILE as KEY (default: the file name), or DIR --recursive under PREFIX",
      "FILE [KEY] | DIR [PREFIX]", "Upload every file under DIR, keys PREFIX/relative/path");
  cmd->callback([c = f.c, args = f.args, recursive = f.recursive] {
    ClientRun run(*c, true);
    auto& pool = run.pool;
    Reporter report(c->json, stdout);
    auto t0 = std::chrono::steady_clock::now();
    const std::string& path = (*args)[0];
    if (*recursive) {
      if (!std::filesystem::is_directory(path))
        throw Error(ErrorKind::config, "put --recursive: not a directory: " + path);
      report.set_verbose(false);
      std::string prefix = args->size() > 1 ? (*args)[1] : "";
      try {
        client::put_tree(pool, path, prefix, [&](auto& s, auto& e) { report.transfer(s, e); });
      } catch (...) {
        report.summary(ms_since(t0), pool.connections_opened());
        throw;
      }
    } else {
      if (std::filesystem::is_directory(path))
        throw Error(ErrorKind::config, "put: " + path + " is a directory (use --recursive)");
      std::string key = args->size() > 1 ? (*args)[1] : std::filesystem::path(path).filename().string();
      report.transfer(client::put_file(pool, path, key), std::nullopt);
    }
    report.summary(ms_since(t0), pool.connections_opened());
  });
}

void add_get(CLI::App& app) {
  TransferFlags f;
  auto* cmd = add_transfer_command(app, f, "get",
                                   "Download KEY to FILE (default: its last segment; - for stdout), or PREFIX "
                                   "--recursive into DIR",
                                   "KEY [FILE|-] | PREFIX DIR", "Download every object under PREFIX into DIR");
  cmd->callback([c = f.c, args = f.args, recursive = f.recursive] {
    ClientRun run(*c, true);
    auto& pool = run.pool;
    const std::string& key = (*args)[0];
    auto t0 = std::chrono::steady_clock::now();
    if (*recursive) {
      if (args->size() < 2) throw Error(ErrorKind::config, "get --recursive: give PREFIX and DIR");
      Reporter report(c->json, stdout);
      report.set_verbose(false);
      std::filesystem::create_directories((*args)[1]);
      try {
        client::get_tree(pool, key, (*args)[1], [&](auto& s, auto& e) { report.transfer(s, e); });
      } catch (...) {
        report.summary(ms_since(t0), pool.connections_opened());
        throw;
      }
      report.summary(ms_since(t0), pool.connections_opened());
      return;
    }
    std::string target = args->size() > 1 ? (*args)[1] : key.substr(key.rfind('/') + 1);
    if (target.empty()) throw Error(ErrorKind::config, "get: give a FILE for key " + key);
    if (target != "-" && std::filesystem::is_directory(target))
      target = (std::filesystem::path(target) / key.substr(key.rfind('/') + 1)).string();
    Reporter report(c->json, target == "-" ? stderr : stdout);
    report.transfer(client::get_file(pool, key, target), std::nullopt);
    report.summary(ms_since(t0), pool.connections_opened());
  });
}

void add_ls(CLI::App& app) {
  auto c = std::make_shared<Common>();
  auto prefix = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("ls", "List objects under PREFIX: size, mtime, key (all pages)");
  cmd->add_option("prefix", *prefix, "Key prefix");
  add_common(cmd, *c, false);
  cmd->callback([c, prefix] {
    ClientRun run(*c, false);
    auto& pool = run.pool;
    size_t n = 0;
    client::list_objects(pool, *prefix, [&](const client::ListEntry& e) {
      ++n;
      if (c->json)
        std::printf("%s\n", nlohmann::json{{"key", e.key}, {"size", e.size}, {"mtime", e.mtime}}.dump().c_str());
      else
        std::printf("%12llu  %s  %s\n", static_cast<unsigned long long>(e.size), e.mtime.c_str(), e.key.c_str());
    });
    if (c->json) std::printf("%s\n", nlohmann::json{{"summary", true}, {"objects", n}}.dump().c_str());
  });
}

void add_rm(CLI::App& app) {
  auto c = std::make_shared<Common>();
  auto key = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("rm", "Delete KEY");
  cmd->add_option("key", *key, "Object key")->required();
  add_common(cmd, *c, false);
  cmd->callback([c, key] {
    ClientRun run(*c, false);
    auto& pool = run.pool;
    client::remove_object(pool, *key);
  });
}

void add_bench(CLI::App& app) {
  auto c = std::make_shared<Common>();
  auto b = std::make_shared<client::BenchConfig>();
  auto size = std::make_shared<std::string>("1K");
  auto* cmd = app.add_subcommand(
      "bench",
      "Repeat the seed's experiment: --size, --repeat, --mode new|reuse|pool, --op put|get; prints each "
      "request, median/min/max in ms and RTTs, and connections opened (libcurl and gateway metric)");
  cmd->add_option("--size", *size, "Object size: 1K, 100K, 1M, 10M ...");
  cmd->add_option("--repeat", b->repeat, "Requests")->capture_default_str();
  cmd->add_option("--mode", b->mode, "new (connection per request) | reuse (one connection) | pool (warm pool)")
      ->capture_default_str();
  cmd->add_option("--op", b->op, "put | get")->capture_default_str();
  cmd->add_option("--gap-ms", b->gap_ms, "Idle pause before each request after the first (slow start after idle)");
  cmd->add_option("--rtt-ms", b->rtt_ms, "Round-trip time for the RTT column (default: measured from connect time)");
  add_common(cmd, *c, true);
  cmd->callback([c, b, size] {
    auto config = finish_config(*c);
    auto bytes = parse_size(*size);
    if (!bytes) throw Error(ErrorKind::config, "--size: not a size: " + *size);
    b->size = *bytes;
    b->json = c->json;
    client::run_bench(config, *b, std::cout);
  });
}

}  // namespace

void add_client_commands(CLI::App& app) {
  add_put(app);
  add_get(app);
  add_ls(app);
  add_rm(app);
  add_bench(app);
}

}  // namespace haul::app
