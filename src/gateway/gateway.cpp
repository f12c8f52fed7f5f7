#include "gateway/gateway.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <spdlog/spdlog.h>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "gateway/context.hpp"
#include "gateway/listener.hpp"
#include "gateway/session.hpp"
#include "gateway/session_registry.hpp"
#include "net/sock_diag.hpp"
#include "store/fs_store.hpp"
#include "store/s3_metrics.hpp"
#include "store/store_factory.hpp"

namespace haul::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::config, std::string("cannot read ") + what + " " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<GatewayContext> load_context(const GatewayConfig& config) {
  validate(config);
  TokenSet tokens = TokenSet::parse(read_file(config.token_file, "token file"));
  const size_t token_count = tokens.size();
  auto ctx = std::unique_ptr<GatewayContext>(new GatewayContext{
      config, crypto::Keyring::parse(read_file(config.master_key_file, "master key file")), std::move(tokens), {},
      config.stores.front().name, {}, {}, TokenLimiter(token_count, config.max_requests_per_token)});
  for (const auto& s : config.stores) {
    ctx->stores.emplace(s.name, store::make_store(s.url));
    if (s.name == "default") ctx->default_store = s.name;
  }
  return ctx;
}

asio::awaitable<void> accept_loop(GatewayContext& ctx, asio::io_context& ioc, BlockingPools& pools,
                                  SessionRegistry& registry, tcp::acceptor& acceptor) {
  asio::steady_timer backoff(ioc);
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(ioc),
                                                         asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: log, breathe, go on; the backlog holds the rest.
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, run_session(ctx, pools, registry, std::move(socket)), asio::detached);
  }
}

// /metrics extras: socket states of our port (seed 004: CLOSE_WAIT and
// TIME_WAIT piles show here first) and the S3 backend counters.
void add_metric_sources(GatewayContext& ctx, uint16_t port) {
  ctx.metrics.add_source([port](std::string& out) {
    out += "# HELP haul_sockets TCP sockets of the gateway's port by state.\n# TYPE haul_sockets gauge\n";
    try {
      for (const auto& [state, count] : net::count_tcp_states(port)) {
        out += "haul_sockets{state=\"" + state + "\"} " + std::to_string(count) + "\n";
      }
    } catch (const Error& e) {
      out += "# haul_sockets unavailable: " + std::string(e.what()) + "\n";
    }
  });
  ctx.metrics.add_source([](std::string& out) { out += store::s3_metrics_text(); });
  ctx.metrics.add_source([&ctx](std::string& out) {
    out += "# HELP haul_striped_uploads_open Striped uploads waiting for stripes.\n"
           "# TYPE haul_striped_uploads_open gauge\n";
    out += "haul_striped_uploads_open " + std::to_string(ctx.stripes.open_uploads()) + "\n";
    out += "# HELP haul_striped_bytes_held Stripe bytes held in memory until their uploads complete.\n"
           "# TYPE haul_striped_bytes_held gauge\n";
    out += "haul_striped_bytes_held " + std::to_string(ctx.stripes.bytes_held()) + "\n";
  });
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

}  // namespace

void run_gateway(const GatewayConfig& config) {
  auto [soft, hard] = raise_nofile_limit();
  auto ctx = load_context(config);

  const unsigned threads = config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));
  asio::thread_pool blocking(config.blocking_threads);
  BlockingPools pools{blocking};
  SessionRegistry registry;

  auto acceptors = open_listeners(ioc, {config.listen_host, config.listen_port, config.listen_backlog,
                                        static_cast<int>(threads), config.congestion});
  const uint16_t port = acceptors.front().local_endpoint().port();
  std::string stores;
  for (const auto& s : config.stores) stores += " " + s.name + "=" + ctx->stores.at(s.name)->describe();
  spdlog::info("haul gateway listening on {}:{} ({} I/O threads, {} blocking), stores:{} (default {}), "
               "keys: {} (newest id {}), nofile limit {} (hard {})",
               config.listen_host, port, threads, config.blocking_threads, stores, ctx->default_store,
               ctx->keys.keys().size(), ctx->keys.newest().id, soft, hard);
  std::fflush(nullptr);

  add_metric_sources(*ctx, port);
  asio::steady_timer expiry_timer(ioc);
  asio::co_spawn(ioc, expire_uploads(*ctx, blocking, expiry_timer), asio::detached);
  for (auto& acceptor : acceptors) {
    asio::co_spawn(ioc, accept_loop(*ctx, ioc, pools, registry, acceptor), asio::detached);
  }

  // Graceful shutdown: stop accepting, close idle connections, let busy
  // ones finish; run() returns when no work is left. After drain_timeout
  // the loop is stopped hard.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  auto deadline = std::chrono::steady_clock::time_point::max();
  std::function<void()> poll_drain = [&] {
    if (registry.size() == 0) {
      expiry_timer.cancel();
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
    boost::system::error_code ignored;
    for (auto& acceptor : acceptors) acceptor.close(ignored);
    registry.shutdown();
    deadline = std::chrono::steady_clock::now() + config.drain_timeout;
    poll_drain();
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  blocking.join();
  spdlog::info("haul gateway stopped");
  if (registry.size() != 0) {
    // Hard stop: coroutine frames of busy connections are still suspended
    // on this io_context; tearing them down costs time and risks nothing we
    // need. Flush and leave.
    std::fflush(nullptr);
    std::_Exit(0);
  }
}

}  // namespace haul::gateway
