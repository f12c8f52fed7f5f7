#pragma once
// One request from admission to its last byte, over any Exchange: what the
// session does with each request once its header is parsed, without Beast,
// so component tests drive it with a fake exchange (testing/).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/context.hpp"
#include "gateway/exchange.hpp"
#include "gateway/route.hpp"

namespace haul::gateway {

struct Served {
  // The status of the error answer (or of the cut) when the request failed;
  // otherwise empty: the exchange knows what it sent.
  std::optional<int> failure_status;
  // The connection is gone or was cut: the session closes it.
  bool lost = false;
};

// Admits the request (token, per-token slot), invites its body, runs its
// handler. A handler's Error (or any other exception, as internal) is logged
// (RequestLog::failure, as connection `connection`) and answered with a JSON
// error {"error","message"} and an X-Haul-Error header when no status line
// is out yet; after the status line the exchange is cut instead
// (haul_responses_cut_total{reason="failed"}). Never throws for a request's
// failure.
asio::awaitable<Served> serve_request(GatewayContext& ctx, Exchange& ex, const Route& route, uint64_t connection);

// Counts a finished request (haul_requests_total under `status`, the
// failure's when it failed, 0 counting as 500; the duration histogram) and
// writes its access-log line with the status line actually sent.
void account_request(GatewayContext& ctx, uint64_t connection, const Request& request, int status, int sent_status,
                     uint64_t bytes_in, uint64_t bytes_out, double seconds, bool cut);

// The JSON error body: {"error": kind, "message": message} and a newline.
std::string error_json(std::string_view kind, std::string_view message);

}  // namespace haul::gateway
