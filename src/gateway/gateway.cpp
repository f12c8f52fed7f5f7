#include "gateway/gateway.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <malloc.h>

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <spdlog/spdlog.h>
#include <thread>
#include <type_traits>

#include "core/error.hpp"
#include "gateway/context.hpp"
#include "gateway/forwarder.hpp"
#include "gateway/listener.hpp"
#include "net/nofile.hpp"
#include "gateway/reload.hpp"
#include "gateway/session.hpp"
#include "gateway/session_registry.hpp"
#include "gateway/tls_server.hpp"
#include "gateway/unix_listener.hpp"
#include "net/sock_diag.hpp"
#include "store/fs_store.hpp"
#include "gateway/s3_handlers.hpp"
#include "gateway/s3_state.hpp"
#include "store/s3_metrics.hpp"
#include "store/store_factory.hpp"

namespace haul::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

namespace {

// The edge's context: the server's configuration, the local clients'
// tokens, its forwarder; no keys, stores or S3 state.
std::unique_ptr<GatewayContext> load_edge_context(const GatewayConfig& config, std::shared_ptr<Forwarder> forwarder) {
  validate_server(config);
  TokenSet tokens = TokenSet::load(config.token_file, "client token file");
  std::vector<std::string> secrets = tokens.tokens();
  auto ctx = std::unique_ptr<GatewayContext>(new GatewayContext{
      config, {}, TokenBook(std::move(tokens), config.max_requests_per_token), {}, {}, {}, {}, {}, {}, {}, {}});
  ctx->request_log = RequestLog::open(config.access_log, std::move(secrets));
  ctx->forwarder = std::move(forwarder);
  return ctx;
}

std::unique_ptr<GatewayContext> load_context(const GatewayConfig& config) {
  validate(config);
  TokenSet tokens = TokenSet::load(config.token_file, "token file");
  std::vector<std::string> secrets = tokens.tokens();
  auto ctx = std::unique_ptr<GatewayContext>(
      new GatewayContext{config,
                         crypto::Keyring::parse(read_config_file(config.master_key_file, "master key file")),
                         TokenBook(std::move(tokens), config.max_requests_per_token),
                         {},
                         config.stores.front().name,
                         {},
                         {},
                         {},
                         {},
                         {},
                         {}});
  ctx->request_log = RequestLog::open(config.access_log, std::move(secrets));
  for (const auto& s : config.stores) {
    ctx->stores.emplace(s.name, store::make_store(s.url, s.name));
    if (s.name == "default") ctx->default_store = s.name;
  }
  if (!config.s3_credentials_file.empty()) {
    const auto& store = *ctx->stores.at(ctx->default_store);
    std::string store_id;
    for (const auto& s : config.stores) {
      if (s.name == ctx->default_store) store_id = s.id;
    }
    ctx->s3 = std::make_shared<S3State>(
        s3::S3Credentials::load(config.s3_credentials_file),
        BucketBook::Args{*ctx->stores.at(ctx->default_store), ctx->keys, store_id, ctx->metrics});
    spdlog::info("S3 API on: {} access keys, buckets in {}", ctx->s3->credentials()->size(), store.describe());
  }
  return ctx;
}

// One warning per interval while the connection limit is being hit, with
// the counts since the last one, not one line per connection.
class LimitWarning {
 public:
  void note(const Metrics& m, size_t limit) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (now - last_ < std::chrono::seconds(10)) return;
    last_ = now;
    const uint64_t evicted = m.connections_evicted.load(), refused = m.connections_refused.load();
    spdlog::warn("connection limit {} reached: {} idle connections closed, {} new ones refused since the last warning",
                 limit, evicted - evicted_, refused - refused_);
    evicted_ = evicted;
    refused_ = refused;
  }

 private:
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t evicted_ = 0, refused_ = 0;
};

// Accepts connections on one listening socket: plain HTTP, TLS when `tls`
// is set, or a Unix socket. The connection limit counts every listener
// together.
template <class Acceptor>
asio::awaitable<void> accept_loop(GatewayContext& ctx, asio::io_context& ioc, BlockingPools& pools,
                                  SessionRegistry& registry, Acceptor& acceptor, TlsServer* tls) {
  constexpr bool unix_socket = std::is_same_v<Acceptor, local::stream_protocol::acceptor>;
  static LimitWarning limit_warning;
  asio::steady_timer backoff(ioc);
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: log, breathe, go on; the backlog holds the rest.
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto executor = socket.get_executor();
    if (ctx.metrics.connections_open.load(std::memory_order_relaxed) >=
        static_cast<int64_t>(ctx.config.max_connections)) {
      // Make room by closing the longest-idle connection (its client
      // reconnects when it needs to); refuse only when everyone is busy.
      const bool evicted = registry.evict_oldest_idle();
      (evicted ? ctx.metrics.connections_evicted : ctx.metrics.connections_refused)++;
      limit_warning.note(ctx.metrics, ctx.config.max_connections);
      if (!evicted) {
        if constexpr (unix_socket) {
          asio::co_spawn(executor, refuse_local_connection(std::move(socket)), asio::detached);
        } else if (tls) {
          asio::co_spawn(executor, refuse_tls_connection(*tls, std::move(socket)), asio::detached);
        } else {
          asio::co_spawn(executor, refuse_connection(std::move(socket)), asio::detached);
        }
        continue;
      }
    }
    if constexpr (unix_socket) {
      asio::co_spawn(executor, run_local_session(ctx, pools, registry, std::move(socket)), asio::detached);
    } else if (tls) {
      asio::co_spawn(executor, run_tls_session(ctx, pools, registry, *tls, std::move(socket)), asio::detached);
    } else {
      asio::co_spawn(executor, run_session(ctx, pools, registry, std::move(socket)), asio::detached);
    }
  }
}

// /metrics extras: socket states of our ports (seed 004: CLOSE_WAIT and
// TIME_WAIT piles show here first), TLS counters, and the S3 backend
// counters.
void add_metric_sources(GatewayContext& ctx, std::vector<uint16_t> ports, TlsServer* tls) {
  ctx.metrics.add_source([ports](std::string& out) {
    out +=
        "# HELP haul_sockets TCP sockets of the gateway's ports (plain and TLS together) by state.\n"
        "# TYPE haul_sockets gauge\n";
    try {
      std::map<std::string, uint64_t> states;
      for (uint16_t port : ports) {
        for (const auto& [state, count] : net::count_tcp_states(port)) states[state] += count;
      }
      for (const auto& [state, count] : states) {
        out += "haul_sockets{state=\"" + state + "\"} " + std::to_string(count) + "\n";
      }
    } catch (const Error& e) {
      out += "# haul_sockets unavailable: " + std::string(e.what()) + "\n";
    }
  });
  if (tls) ctx.metrics.add_source([tls](std::string& out) { tls->metrics().render(out); });
  if (ctx.forwarder) return;  // the edge: no store behind it
  ctx.metrics.add_source([](std::string& out) { out += store::s3_metrics_text(); });
  ctx.metrics.add_source([&ctx](std::string& out) {
    out +=
        "# HELP haul_striped_uploads_open Striped uploads waiting for stripes.\n"
        "# TYPE haul_striped_uploads_open gauge\n";
    out += "haul_striped_uploads_open " + std::to_string(ctx.stripes.open_uploads()) + "\n";
    out +=
        "# HELP haul_striped_bytes_held Stripe bytes held in memory until their uploads complete.\n"
        "# TYPE haul_striped_bytes_held gauge\n";
    out += "haul_striped_bytes_held " + std::to_string(ctx.stripes.bytes_held()) + "\n";
  });
}

asio::awaitable<void> trim_heap() {
  ::malloc_trim(0);
  co_return;
}

asio::awaitable<void> cleanup_uploads(GatewayContext& ctx) {
  // Striped uploads whose last stripe never came free their memory here too,
  // not only when the next stripe request arrives.
  ctx.metrics.striped_uploads_expired += ctx.stripes.drop_expired(std::chrono::steady_clock::now());
  for (auto& [name, store] : ctx.stores) {
    try {
      size_t removed = store->cleanup_expired_uploads(ctx.config.upload_expiry);
      if (removed) spdlog::info("store {}: removed {} expired uploads", name, removed);
    } catch (const std::exception& e) {
      spdlog::warn("store {}: upload cleanup failed: {}", name, e.what());
    }
  }
  if (ctx.s3) {
    try {
      size_t removed = expire_s3_uploads(ctx, ctx.config.upload_expiry);
      if (removed) spdlog::info("S3 API: removed {} expired multipart uploads", removed);
    } catch (const std::exception& e) {
      spdlog::warn("S3 API: multipart upload cleanup failed: {}", e.what());
    }
  }
  co_return;
}

// Unfinished parts uploads expire (fs: by the upload directory's mtime; S3:
// by the multipart upload's Initiated time, docs/s3.md).
asio::awaitable<void> expire_uploads(GatewayContext& ctx, asio::thread_pool& blocking, asio::steady_timer& timer) {
  for (;;) {
    co_await asio::co_spawn(blocking, cleanup_uploads(ctx), asio::use_awaitable);
    timer.expires_after(std::chrono::minutes(10));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

// glibc keeps freed heap memory in its arenas (one per thread that
// allocated, and the gateway has dozens): after a burst of connections RSS
// stayed at its peak round after round. Giving the free pages back every few
// seconds keeps RSS near what is in use; malloc_trim costs well under a
// millisecond when there is little to return.
asio::awaitable<void> return_free_memory(asio::thread_pool& blocking, asio::steady_timer& timer) {
  for (;;) {
    timer.expires_after(std::chrono::seconds(5));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await asio::co_spawn(blocking, trim_heap(), asio::use_awaitable);
  }
}

// The start-up line: what listens where, and what is behind it.
void announce(const GatewayContext& ctx, const std::string& listening, unsigned threads, unsigned long soft,
              unsigned long hard) {
  if (ctx.forwarder) {
    spdlog::info("haul edge listening on {} ({} I/O threads), {}, nofile limit {} (hard {})", listening, threads,
                 ctx.forwarder->describe(), soft, hard);
    return;
  }
  std::string stores;
  for (const auto& s : ctx.config.stores) stores += " " + s.name + "=" + ctx.stores.at(s.name)->describe();
  spdlog::info(
      "haul gateway listening on {} ({} I/O threads, {} blocking), stores:{} (default {}), "
      "keys: {} (newest id {}), nofile limit {} (hard {})",
      listening, threads, ctx.config.blocking_threads, stores, ctx.default_store, ctx.keys.keys().size(),
      ctx.keys.newest().id, soft, hard);
}

// Every listening socket of the server.
struct Listeners {
  std::vector<tcp::acceptor> plain;  // one per I/O thread (SO_REUSEPORT)
  std::vector<tcp::acceptor> tls;
  std::optional<local::acceptor> unix_socket;
  std::vector<uint16_t> tcp_ports;  // for the socket-state metrics
  std::string description;          // "http://... and https://... and unix:..."

  // Stops accepting; the Unix socket's file goes too.
  void close(const GatewayConfig& config) {
    boost::system::error_code ignored;
    for (auto& acceptor : plain) acceptor.close(ignored);
    for (auto& acceptor : tls) acceptor.close(ignored);
    if (unix_socket) {
      unix_socket->close(ignored);
      remove_unix_listener(config.unix_listen);
    }
  }
};

Listeners open_all_listeners(asio::io_context& ioc, const GatewayConfig& config, unsigned threads, bool with_tls) {
  const int defer_seconds = static_cast<int>(config.first_byte_timeout.count());
  Listeners l;
  auto describe = [&l](const std::string& what) { l.description += (l.description.empty() ? "" : " and ") + what; };
  if (config.listen_plain) {
    l.plain = open_listeners(ioc, {config.listen_host, config.listen_port, config.listen_backlog,
                                   static_cast<int>(threads), config.congestion, defer_seconds, "--listen"});
    l.tcp_ports.push_back(l.plain.front().local_endpoint().port());
    describe(fmt::format("http://{}:{}", config.listen_host, l.tcp_ports.back()));
  }
  if (with_tls) {
    // The same tuning as the plain listener (TCP_DEFER_ACCEPT: a ClientHello
    // is the first byte; TCP_FASTOPEN: it can ride in the SYN).
    l.tls = open_listeners(ioc, {config.tls.host, config.tls.port, config.listen_backlog, static_cast<int>(threads),
                                 config.congestion, defer_seconds, "--tls-listen"});
    l.tcp_ports.push_back(l.tls.front().local_endpoint().port());
    describe(fmt::format("https://{}:{}", config.tls.host, l.tcp_ports.back()));
  }
  if (!config.unix_listen.empty()) {
    l.unix_socket = open_unix_listener(ioc, config.unix_listen, config.listen_backlog);
    describe("unix:" + config.unix_listen);
  }
  return l;
}

}  // namespace

void run_gateway(const GatewayConfig& config) {
  run_server(config, nullptr);
}

void run_server(const GatewayConfig& config, std::shared_ptr<Forwarder> forwarder) {
  auto [soft, hard] = net::raise_nofile_limit();
  const bool edge = forwarder != nullptr;
  auto ctx = edge ? load_edge_context(config, std::move(forwarder)) : load_context(config);

  const unsigned threads = config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));
  asio::thread_pool blocking(config.blocking_threads);
  BlockingPools pools{blocking};
  SessionRegistry registry;

  // The TLS context first: a bad certificate or key stops the start with
  // its reason, before any port is bound.
  std::unique_ptr<TlsServer> tls;
  if (config.tls.enabled)
    tls = std::make_unique<TlsServer>(tls::ServerFiles{config.tls.cert_file, config.tls.key_file});

  Listeners listeners = open_all_listeners(ioc, config, threads, tls != nullptr);
  announce(*ctx, listeners.description, threads, soft, hard);
  if (tls) spdlog::info("TLS certificate {}", describe_certificate(tls->certificate()));
  std::fflush(nullptr);

  add_metric_sources(*ctx, listeners.tcp_ports, tls.get());
  if (edge) {
    ctx->metrics.add_source([&ctx](std::string& out) { ctx->forwarder->render_metrics(out); });
    ctx->forwarder->start(ioc);
  }
  asio::steady_timer expiry_timer(ioc);
  asio::co_spawn(ioc, expire_uploads(*ctx, blocking, expiry_timer), asio::detached);
  asio::steady_timer trim_timer(ioc);
  asio::co_spawn(ioc, return_free_memory(blocking, trim_timer), asio::detached);
  for (auto& acceptor : listeners.plain) {
    asio::co_spawn(ioc, accept_loop(*ctx, ioc, pools, registry, acceptor, nullptr), asio::detached);
  }
  for (auto& acceptor : listeners.tls) {
    asio::co_spawn(ioc, accept_loop(*ctx, ioc, pools, registry, acceptor, tls.get()), asio::detached);
  }
  if (listeners.unix_socket) {
    asio::co_spawn(ioc, accept_loop(*ctx, ioc, pools, registry, *listeners.unix_socket, nullptr), asio::detached);
  }

  // SIGHUP: reload the token file and the TLS certificate and key (reload.hpp),
  // on the blocking pool (it reads files).
  asio::signal_set hangup(ioc, SIGHUP);
  std::function<void()> wait_hangup = [&] {
    hangup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      asio::post(blocking, [&ctx, &tls] { reload(*ctx, tls.get()); });
      wait_hangup();
    });
  };
  wait_hangup();

  // Graceful shutdown: stop accepting, close idle connections, let busy
  // ones finish; run() returns when no work is left. After drain_timeout
  // the loop is stopped hard.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  auto deadline = std::chrono::steady_clock::time_point::max();
  std::function<void()> poll_drain = [&] {
    if (registry.size() == 0) {
      expiry_timer.cancel();
      trim_timer.cancel();
      boost::system::error_code ignored;
      hangup.cancel(ignored);
      return;  // nothing left: run() returns
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::warn("{} connections still busy at the drain deadline: stopping hard", registry.size());
      ioc.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](boost::system::error_code) { poll_drain(); });
  };
  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: draining {} connections", signo, registry.size());
    listeners.close(config);
    registry.shutdown();
    if (ctx->forwarder) ctx->forwarder->stop();
    deadline = std::chrono::steady_clock::now() + config.drain_timeout;
    poll_drain();
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  blocking.join();
  spdlog::info("haul {} stopped", edge ? "edge" : "gateway");
  if (registry.size() != 0) {
    // Hard stop: coroutine frames of busy connections are still suspended
    // on this io_context; tearing them down costs time and risks nothing we
    // need. Flush and leave.
    std::fflush(nullptr);
    std::_Exit(0);
  }
  // The forwarder's sockets, timers and strand belong to `ioc`: they go
  // before it does.
  if (ctx->forwarder) ctx->forwarder.reset();
}

}  // namespace haul::gateway
