#include "gateway/serve.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "gateway/forwarder.hpp"
#include "gateway/handlers.hpp"
#include "gateway/s3_handlers.hpp"

namespace haul::gateway {

namespace {

// The error message as a header value too: a HEAD answer has no body, and
// clients (haul get starts with a HEAD) still owe the user the reason.
// Printable ASCII only, bounded, so no peer-chosen byte splits the header.
std::string error_header_value(std::string_view message) {
  std::string value;
  for (char c : message.substr(0, 512)) value += (c >= 0x20 && c < 0x7f) ? c : '?';
  return value;
}

}  // namespace

std::string error_json(std::string_view kind, std::string_view message) {
  return nlohmann::json{{"error", kind}, {"message", message}}.dump() + "\n";
}

void account_request(GatewayContext& ctx, uint64_t connection, const Request& request, int status, int sent_status,
                     uint64_t bytes_in, uint64_t bytes_out, double seconds, bool cut) {
  ctx.metrics.count_request(request.method, status == 0 ? 500 : status, seconds);
  ctx.request_log.access({{},
                          connection,
                          request.peer.address,
                          request.method,
                          request.target,
                          sent_status,
                          bytes_in,
                          bytes_out,
                          seconds * 1e3,
                          cut});
}

asio::awaitable<Served> serve_request(GatewayContext& ctx, Exchange& ex, const Route& route, uint64_t connection) {
  // The S3 API authenticates with SigV4 and answers in XML: its own way in.
  if (route.kind == RouteKind::s3 && ctx.s3) co_return co_await serve_s3(ctx, ex, connection);
  Served served;
  std::optional<Error> failure;
  try {
    if (ctx.forwarder && route.kind != RouteKind::healthz && route.kind != RouteKind::metrics) {
      // The edge: S3 requests keep their SigV4 signature end to end (the
      // gateway verifies it); every other one needs a local client token,
      // unless it came through the Unix socket (its permissions admitted it).
      const bool own_signature = route.kind == RouteKind::s3;
      TokenLimiter::Slot slot;
      if (!own_signature && !ex.request().peer.local_socket) slot = admit(ctx, ex.request(), route.kind);
      co_await ex.invite_body();
      co_await ctx.forwarder->forward(ex, own_signature);
    } else {
      // Held until the response ends (or fails): one of the token's slots.
      TokenLimiter::Slot slot = admit(ctx, ex.request(), route.kind);
      co_await ex.invite_body();
      co_await handle_request(ctx, ex, route);
    }
  } catch (const Error& e) {
    failure = e;
  } catch (const ConnectionLost&) {
    served.lost = true;
  } catch (const std::exception& e) {
    failure = Error(ErrorKind::internal, "internal error", e.what());
  }
  if (!failure) co_return served;
  served.failure_status = http_status(failure->kind());
  const Request& request = ex.request();
  ctx.request_log.failure(connection, request.peer.address, request.method, request.target, *failure);
  if (ex.response_started()) {
    // The status line is gone: cut the connection so the client sees a
    // short body, never a clean response with wrong or missing bytes.
    ex.cut();
    ctx.metrics.count_cut(CutReason::failed);
    served.lost = true;
    co_return served;
  }
  Headers headers;
  if (failure->kind() == ErrorKind::too_many_requests) headers.emplace_back("Retry-After", "1");
  headers.emplace_back("X-Haul-Error", error_header_value(failure->public_message()));
  try {
    co_await ex.respond(*served.failure_status, "application/json",
                        error_json(kind_name(failure->kind()), failure->public_message()), std::move(headers));
  } catch (const ConnectionLost&) {
    served.lost = true;
  }
  co_return served;
}

}  // namespace haul::gateway
