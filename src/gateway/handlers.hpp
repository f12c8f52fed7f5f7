#pragma once
// Request handlers: route, authorize, and answer one request. Expected
// failures are thrown as haul::Error; the session turns them into JSON error
// responses (or cuts the connection when a response is already under way).

#include <chrono>
#include <string>

#include "crypto/stream_format.hpp"
#include "gateway/context.hpp"
#include "gateway/exchange.hpp"
#include "gateway/route.hpp"

namespace haul::gateway {

class ObjectOpener;
class SealPipeline;
struct SealResult;

// Lets a request in: checks its token where the route needs one and takes
// one of that token's request slots, held until the returned slot goes.
// Throws unauthorized (no or wrong token), too_many_requests (the token has
// --max-requests-per-token requests in progress). Routes open without a
// token take no slot.
TokenLimiter::Slot admit(GatewayContext& ctx, const Request& request, RouteKind kind);

// Dispatches on the route (already parsed and authorized).
asio::awaitable<void> handle_request(GatewayContext& ctx, Exchange& ex, const Route& route);

// One handler family per file.
asio::awaitable<void> handle_object(GatewayContext& ctx, Exchange& ex, const Route& route);
asio::awaitable<void> handle_object_list(GatewayContext& ctx, Exchange& ex, const Route& route);
asio::awaitable<void> handle_seed_upload(GatewayContext& ctx, Exchange& ex, const Route& route);
asio::awaitable<void> handle_upload(GatewayContext& ctx, Exchange& ex, const Route& route);
// PUT /v1/objects/{key}?upload=&stripe=&stripes=&size=&sha256= (handlers_stripes.cpp).
asio::awaitable<void> handle_stripe(GatewayContext& ctx, Exchange& ex, const Route& route);
asio::awaitable<void> handle_probe(GatewayContext& ctx, Exchange& ex, const Route& route);
// GET/HEAD /readyz: 200 when every store passes its probe, 503 naming the ones that do not.
asio::awaitable<void> handle_readyz(GatewayContext& ctx, Exchange& ex);

// Shared pieces.
store::Store& pick_store(GatewayContext& ctx, const Exchange& ex, const Route& route);
std::string store_name(const GatewayContext& ctx, const Exchange& ex, const Route& route);
// What an object of store `store_name` is sealed for: the store's id
// (--store-id, else its name) and the key. Throws Error(bad_request) for an
// unknown store.
crypto::ObjectIdentity object_identity(const GatewayContext& ctx, const std::string& store_name,
                                       const std::string& key);
asio::awaitable<void> respond_json(Exchange& ex, int status, const std::string& json_text, Headers headers = {});
// Reads a small request body (JSON) up to limit bytes; 413 beyond.
asio::awaitable<std::string> read_small_body(Exchange& ex, size_t limit);
[[noreturn]] void method_not_allowed(const std::string& method, const char* allowed);
// The JSON answer to a stored upload: key, size, sha256 and timings
// (encrypt_ms, store_ms, total_ms since `started`).
std::string upload_answer(const std::string& key, const SealResult& result,
                          std::chrono::steady_clock::time_point started);
// Feeds the whole request body through pipe on the blocking pool, then commits.
asio::awaitable<SealResult> stream_body_into(Exchange& ex, SealPipeline& pipe);
// After begin_body: the opened object's plaintext, a piece at a time (one
// store read and its decryption on the blocking pool, one asynchronous
// write), then end_body.
asio::awaitable<void> send_opened_body(Exchange& ex, ObjectOpener& opener);
// Destroys an uncommitted pipeline on the blocking pool (its cleanup may block).
asio::awaitable<void> discard_on_pool(Exchange& ex, std::unique_ptr<SealPipeline>& pipe);

}  // namespace haul::gateway
