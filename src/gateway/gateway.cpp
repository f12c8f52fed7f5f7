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
  auto ctx = std::unique_ptr<GatewayContext>(new GatewayContext{
      config, crypto::Keyring::parse(read_file(config.master_key_file, "master key file")),
      TokenSet::parse(read_file(config.token_file, "token file")), {}, config.stores.front().name, {}});
  for (const auto& s : config.stores) {
    ctx->stores.emplace(s.name, store::make_store(s.url));
    if (s.name == "default") ctx->default_store = s.name;
  }
  return ctx;
}

asio::awaitable<void> accept_loop(GatewayContext& ctx, asio::io_context& ioc, asio::thread_pool& blocking,
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
    asio::co_spawn(executor, run_session(ctx, blocking, registry, std::move(socket)), asio::detached);
  }
}

}  // namespace

void run_gateway(const GatewayConfig& config) {
  auto [soft, hard] = raise_nofile_limit();
  auto ctx = load_context(config);

  const unsigned threads = config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));
  asio::thread_pool blocking(config.blocking_threads);
  SessionRegistry registry;

  auto acceptors = open_listeners(ioc, {config.listen_host, config.listen_port, config.listen_backlog,
                                        static_cast<int>(threads)});
  const uint16_t port = acceptors.front().local_endpoint().port();
  std::string stores;
  for (const auto& s : config.stores) stores += " " + s.name + "=" + ctx->stores.at(s.name)->describe();
  spdlog::info("haul gateway listening on {}:{} ({} I/O threads, {} blocking), stores:{} (default {}), "
               "keys: {} (newest id {}), nofile limit {} (hard {})",
               config.listen_host, port, threads, config.blocking_threads, stores, ctx->default_store,
               ctx->keys.keys().size(), ctx->keys.newest().id, soft, hard);
  std::fflush(nullptr);

  for (auto& acceptor : acceptors) {
    asio::co_spawn(ioc, accept_loop(*ctx, ioc, blocking, registry, acceptor), asio::detached);
  }

  // Graceful shutdown: stop accepting, close idle connections, let busy
  // ones finish, and stop hard after drain_timeout.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  auto deadline = std::make_shared<std::chrono::steady_clock::time_point>();
  std::function<void()> poll_drain = [&] {
    if (registry.size() == 0 || std::chrono::steady_clock::now() >= *deadline) {
      if (registry.size() != 0) spdlog::warn("{} connections still busy at the drain deadline", registry.size());
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
    *deadline = std::chrono::steady_clock::now() + config.drain_timeout;
    poll_drain();
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  blocking.stop();
  blocking.join();
  spdlog::info("haul gateway stopped");
}

}  // namespace haul::gateway
