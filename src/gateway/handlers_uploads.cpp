// Parts API: create -> put part N -> complete / abort (docs/api.md). The
// upload id is a sealed token (upload_token.hpp): any gateway with the same
// key file can take any step, and the parts themselves live in the store.
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/handlers.hpp"
#include "gateway/seal_pipeline.hpp"
#include "gateway/upload_token.hpp"

namespace haul::gateway {

namespace {

constexpr uint64_t kMaxPartSize = 5ull << 30;
constexpr uint32_t kMaxParts = 10000;

nlohmann::json parse_json_body(const std::string& body) {
  try {
    auto j = nlohmann::json::parse(body);
    if (!j.is_object()) throw Error(ErrorKind::bad_request, "expected a JSON object");
    return j;
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::bad_request, "request body is not JSON");
  }
}

uint64_t json_u64(const nlohmann::json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_number_unsigned()) {
    throw Error(ErrorKind::bad_request, std::string("\"") + name + "\" must be a non-negative integer");
  }
  return j[name].get<uint64_t>();
}

UploadState open_token(GatewayContext& ctx, const Route& route) {
  auto opened = open_upload_token(ctx.keys, route.upload_id);
  if (!opened) throw Error(ErrorKind::not_found, std::string(refusal_message(opened.refusal)));
  UploadState& state = opened.state;
  if (!ctx.stores.contains(state.store)) throw Error(ErrorKind::not_found, "upload belongs to an unknown store");
  if (ctx.config.upload_expiry.count() > 0 &&
      std::time(nullptr) - state.created_unix > ctx.config.upload_expiry.count()) {
    throw Error(ErrorKind::not_found, "upload expired");
  }
  return std::move(state);
}

asio::awaitable<void> create_upload(GatewayContext& ctx, Exchange& ex, const Route& route) {
  auto j = parse_json_body(co_await read_small_body(ex, 64 * 1024));
  if (!j.contains("key") || !j["key"].is_string()) throw Error(ErrorKind::bad_request, "\"key\" must be a string");
  UploadState state;
  state.key = j["key"].get<std::string>();
  store::validate_key(state.key);
  state.size = json_u64(j, "size");
  state.part_size = json_u64(j, "part_size");
  const uint64_t segment = crypto::kDefaultSegmentSize;
  if (state.part_size == 0 || state.part_size % segment != 0 || state.part_size > kMaxPartSize) {
    throw Error(ErrorKind::bad_request,
                "part_size must be a positive multiple of " + std::to_string(segment) + " bytes, at most 5 GiB");
  }
  if (state.part_count() > kMaxParts) throw Error(ErrorKind::bad_request, "more than 10000 parts: use bigger parts");
  state.store = store_name(ctx, ex, route);
  store::Store& store = pick_store(ctx, ex, route);
  auto header = crypto::new_header(ctx.keys.newest());
  auto header_bytes = crypto::encode_header(header);
  state.header.assign(header_bytes.begin(), header_bytes.end());
  state.created_unix = std::time(nullptr);
  co_await ex.blocking([&] { state.store_upload_id = store.begin_upload(state.key, header_bytes); });
  nlohmann::json answer = {{"upload_id", seal_upload_token(ctx.keys, state)},
                           {"key", state.key},
                           {"part_size", state.part_size},
                           {"part_count", state.part_count()},
                           {"segment_size", segment}};
  co_await respond_json(ex, 201, answer.dump());
}

asio::awaitable<void> put_part(GatewayContext& ctx, Exchange& ex, const Route& route) {
  const UploadState state = open_token(ctx, route);
  const uint32_t n = route.part_number;
  if (n > state.part_count()) {
    throw Error(ErrorKind::bad_request, "part " + std::to_string(n) + " of " + std::to_string(state.part_count()));
  }
  const uint64_t expected = state.part_plain_size(n);
  const auto& length = ex.request().content_length;
  if (!length) throw Error(ErrorKind::length_required, "a part needs Content-Length");
  if (*length != expected) {
    throw Error(ErrorKind::bad_request, "part " + std::to_string(n) + " must be " + std::to_string(expected) +
                                            " bytes, got " + std::to_string(*length));
  }
  store::Store& store = *ctx.stores.at(state.store);
  const auto header = crypto::decode_header(state.header);
  crypto::ObjectCipher cipher(ctx.keys, header, object_identity(ctx, state.store, state.key));
  const crypto::Layout layout = cipher.layout();
  const uint64_t first_segment = (uint64_t{n} - 1) * state.part_size / header.segment_size;
  const bool final_part = n == state.part_count();
  std::unique_ptr<SealPipeline> pipe;
  std::exception_ptr failure;
  SealResult result;
  try {
    co_await ex.blocking([&] {
      auto writer = store.open_part(state.store_upload_id, state.key, n, first_segment * layout.sealed_segment_size());
      SealTarget target;
      target.first_segment = first_segment;
      target.final_part = final_part;
      target.write_trailer = false;
      pipe = std::make_unique<SealPipeline>(cipher, std::move(writer), ctx.metrics, target);
    });
    result = co_await stream_body_into(ex, *pipe);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard_on_pool(ex, pipe);
  if (failure) std::rethrow_exception(failure);
  nlohmann::json answer = {{"part", n},
                           {"size", result.plain_size},
                           {"sha256", to_hex(result.sha256)},
                           {"timings", {{"encrypt_ms", result.encrypt_ms}, {"store_ms", result.store_ms}}}};
  co_await respond_json(ex, 200, answer.dump());
}

asio::awaitable<void> complete_upload(GatewayContext& ctx, Exchange& ex, const Route& route) {
  const UploadState state = open_token(ctx, route);
  auto j = parse_json_body(co_await read_small_body(ex, 64 * 1024));
  if (!j.contains("sha256") || !j["sha256"].is_string()) {
    throw Error(ErrorKind::bad_request, "\"sha256\" (hex SHA-256 of the whole object) is required");
  }
  auto digest = from_hex(j["sha256"].get<std::string>());
  if (!digest || digest->size() != 32) throw Error(ErrorKind::bad_request, "\"sha256\" must be 64 hex digits");
  store::Store& store = *ctx.stores.at(state.store);
  const auto header = crypto::decode_header(state.header);
  crypto::ObjectCipher cipher(ctx.keys, header, object_identity(ctx, state.store, state.key));
  const crypto::Layout layout = cipher.layout();
  crypto::ObjectCipher::TrailerContents contents;
  contents.plain_size = state.size;
  std::copy(digest->begin(), digest->end(), contents.sha256.emplace().begin());
  const auto trailer = cipher.seal_trailer(contents);
  const auto parts = static_cast<uint32_t>(state.part_count());  // <= kMaxParts, checked at create
  co_await ex.blocking([&] {
    // The trailer goes in as one more part after the data parts.
    auto writer = store.open_part(state.store_upload_id, state.key, parts + 1, layout.trailer_offset(state.size));
    writer->write(trailer);
    writer->commit();
    store.complete_upload(state.store_upload_id, state.key, parts + 1);
  });
  nlohmann::json answer = {{"key", state.key}, {"size", state.size}, {"sha256", to_hex(*digest)}};
  co_await respond_json(ex, 201, answer.dump());
}

asio::awaitable<void> abort_upload(GatewayContext& ctx, Exchange& ex, const Route& route) {
  const UploadState state = open_token(ctx, route);
  store::Store& store = *ctx.stores.at(state.store);
  co_await ex.blocking([&] { store.abort_upload(state.store_upload_id, state.key); });
  co_await ex.respond(204, "", "");
}

}  // namespace

asio::awaitable<void> handle_upload(GatewayContext& ctx, Exchange& ex, const Route& route) {
  using Handler = asio::awaitable<void> (*)(GatewayContext&, Exchange&, const Route&);
  struct Step {
    const char* method;
    Handler handle;
  };
  const Step step = [&]() -> Step {
    switch (route.kind) {
      case RouteKind::upload_create: return {"POST", create_upload};
      case RouteKind::upload_part: return {"PUT", put_part};
      case RouteKind::upload_complete: return {"POST", complete_upload};
      case RouteKind::upload_abort: return {"DELETE", abort_upload};
      default: throw Error(ErrorKind::internal, "not an upload route");
    }
  }();
  const auto& method = ex.request().method;
  if (method != step.method) method_not_allowed(method, step.method);
  co_return co_await step.handle(ctx, ex, route);
}

}  // namespace haul::gateway
