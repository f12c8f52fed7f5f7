#include "gateway/handlers.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace haul::gateway {

TokenLimiter::Slot admit(GatewayContext& ctx, const Request& request, RouteKind kind) {
  if (kind == RouteKind::healthz || kind == RouteKind::readyz) return {};
  if (kind == RouteKind::metrics && ctx.config.metrics_open_on_loopback && request.peer.loopback) return {};
  // One table for the match and the count, whatever a reload does meanwhile.
  const auto table = ctx.tokens.current();
  auto token = table->tokens.match(request.header("authorization"));
  if (!token) throw Error(ErrorKind::unauthorized, "missing or wrong bearer token (Authorization: Bearer TOKEN)");
  auto slot = table->limits.acquire(*token);
  if (!slot) {
    ctx.metrics.requests_over_token_limit.fetch_add(1, std::memory_order_relaxed);
    throw Error(ErrorKind::too_many_requests, "this token has " + std::to_string(ctx.config.max_requests_per_token) +
                                                  " requests in progress, the most allowed; retry when one ends");
  }
  return std::move(*slot);
}

asio::awaitable<void> handle_request(GatewayContext& ctx, Exchange& ex, const Route& route) {
  const auto& method = ex.request().method;
  switch (route.kind) {
    case RouteKind::healthz:
      if (method != "GET" && method != "HEAD") method_not_allowed(method, "GET, HEAD");
      co_await respond_json(ex, 200, R"({"status":"ok"})");
      co_return;
    case RouteKind::readyz: co_await handle_readyz(ctx, ex); co_return;
    case RouteKind::metrics:
      if (method != "GET") method_not_allowed(method, "GET");
      co_await ex.respond(200, "text/plain; version=0.0.4", ctx.metrics.render());
      co_return;
    case RouteKind::object:
    case RouteKind::seed_download: co_await handle_object(ctx, ex, route); co_return;
    case RouteKind::object_list: co_await handle_object_list(ctx, ex, route); co_return;
    case RouteKind::seed_upload: co_await handle_seed_upload(ctx, ex, route); co_return;
    case RouteKind::upload_create:
    case RouteKind::upload_part:
    case RouteKind::upload_complete:
    case RouteKind::upload_abort: co_await handle_upload(ctx, ex, route); co_return;
    case RouteKind::probe_download:
    case RouteKind::probe_upload:
    case RouteKind::probe_tcpinfo: co_await handle_probe(ctx, ex, route); co_return;
    case RouteKind::bad_target: throw Error(ErrorKind::bad_request, route.error);
    case RouteKind::s3:  // the S3 API is off (serve_request takes S3 routes when it is on)
    case RouteKind::not_found: break;
  }
  throw Error(ErrorKind::not_found, "no such route: " + ex.request().target);
}

std::string store_name(const GatewayContext& ctx, const Exchange& ex, const Route& route) {
  std::string name = ex.request().header("x-haul-store");
  if (name.empty()) {
    auto it = route.query.find("store");
    if (it != route.query.end()) name = it->second;
  }
  return name.empty() ? ctx.default_store : name;
}

store::Store& pick_store(GatewayContext& ctx, const Exchange& ex, const Route& route) {
  std::string name = store_name(ctx, ex, route);
  auto it = ctx.stores.find(name);
  if (it == ctx.stores.end()) throw Error(ErrorKind::bad_request, "unknown store '" + name + "'");
  return *it->second;
}

crypto::ObjectIdentity object_identity(const GatewayContext& ctx, const std::string& store_name,
                                       const std::string& key) {
  for (const auto& s : ctx.config.stores) {
    if (s.name == store_name) return {s.id, key};
  }
  throw Error(ErrorKind::bad_request, "unknown store '" + store_name + "'");
}

asio::awaitable<void> respond_json(Exchange& ex, int status, const std::string& json_text, Headers headers) {
  co_await ex.respond(status, "application/json", json_text + "\n", std::move(headers));
}

asio::awaitable<std::string> read_small_body(Exchange& ex, size_t limit) {
  std::string body;
  for (;;) {
    auto chunk = co_await ex.read_body();
    if (chunk.empty()) break;
    if (body.size() + chunk.size() > limit) {
      throw Error(ErrorKind::payload_too_large, "request body over " + std::to_string(limit) + " bytes");
    }
    body.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  }
  co_return body;
}

void method_not_allowed(const std::string& method, const char* allowed) {
  throw Error(ErrorKind::method_not_allowed, "method " + method + " not allowed here (allowed: " + allowed + ")");
}

}  // namespace haul::gateway
