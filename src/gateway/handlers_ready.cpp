// GET /readyz: can every store take writes now? (docs/api.md, "Health").
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "gateway/handlers.hpp"

namespace haul::gateway {

asio::awaitable<void> handle_readyz(GatewayContext& ctx, Exchange& ex) {
  const auto& method = ex.request().method;
  if (method != "GET" && method != "HEAD") method_not_allowed(method, "GET, HEAD");
  nlohmann::json stores = nlohmann::json::object();
  bool all_ready = true;
  co_await ex.blocking([&] {
    const auto now = Readiness::Clock::now();
    for (auto& [name, store] : ctx.stores) {
      store::Store& s = *store;
      Readiness::State state = ctx.readiness.check(
          name, [&s] { s.probe(); }, now);
      if (state.fresh && !state.ready) spdlog::warn("store {} is not ready: {}", name, state.detail);
      all_ready = all_ready && state.ready;
      stores[name] =
          state.ready ? nlohmann::json{{"ready", true}} : nlohmann::json{{"ready", false}, {"message", state.message}};
    }
  });
  nlohmann::json body = {{"status", all_ready ? "ready" : "not_ready"}, {"stores", stores}};
  co_await respond_json(ex, all_ready ? 200 : 503, body.dump());
}

}  // namespace haul::gateway
