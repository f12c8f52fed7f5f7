// Striped uploads: PUT /v1/objects/{key}?upload=U&stripe=i&stripes=K&size=N&sha256=H
// (docs/api.md "Stripes"). Stripe i of K carries bytes [i*S, min((i+1)*S, N))
// of the object, S from stripe_layout(N, K). Each stripe's bytes wait on the
// board (stripe_board.hpp); the request that brings the last one seals the
// whole object and answers 201, the others 202.
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/handlers.hpp"
#include "gateway/seal_pipeline.hpp"
#include "gateway/stripe_query.hpp"

namespace haul::gateway {

asio::awaitable<void> handle_stripe(GatewayContext& ctx, Exchange& ex, const Route& route) {
  store::validate_key(route.key);
  const StripeQuery q = parse_stripe_query(route.query);
  const uint64_t offset = q.layout.offset(q.stripe);
  const uint64_t expected = q.layout.length(q.stripe);
  const auto& length = ex.request().content_length;
  if (!length) throw Error(ErrorKind::length_required, "a stripe needs Content-Length");
  if (*length != expected) {
    throw Error(ErrorKind::bad_request, "stripe " + std::to_string(q.stripe) + " must be " + std::to_string(expected) +
                                            " bytes, got " + std::to_string(*length));
  }
  store::Store& store = pick_store(ctx, ex, route);
  const auto now = std::chrono::steady_clock::now();
  ctx.metrics.striped_uploads_expired += ctx.stripes.drop_expired(now);
  const auto claim =
      ctx.stripes.claim({store_name(ctx, ex, route), route.key, q.upload}, q.layout, q.sha256_hex, q.stripe, now);
  StripedUpload& upload = *claim.upload;
  // This stripe's range of the buffer is ours until stored() or release().
  uint64_t got = 0;
  try {
    for (;;) {
      auto chunk = co_await ex.read_body();
      if (chunk.empty()) break;
      if (chunk.size() > expected - got) throw Error(ErrorKind::bad_request, "stripe body longer than Content-Length");
      std::copy(chunk.begin(), chunk.end(), upload.plain.begin() + static_cast<std::ptrdiff_t>(offset + got));
      got += chunk.size();
    }
    if (got != expected) throw Error(ErrorKind::bad_request, "stripe body shorter than Content-Length");
  } catch (...) {
    ctx.stripes.release(claim);
    throw;
  }
  const std::string stripe_sha = crypto::sha256_hex(std::span(upload.plain).subspan(offset, expected));
  const uint32_t stored = ctx.stripes.stored(claim);
  nlohmann::json answer = {{"key", route.key},          {"upload", q.upload}, {"stripe", q.stripe},
                           {"stripes", q.layout.count}, {"stored", stored},   {"stripe_sha256", stripe_sha}};
  if (stored < q.layout.count) {
    co_await respond_json(ex, 202, answer.dump());
    co_return;
  }
  // Every stripe is in the buffer and this request owns it: check the whole
  // digest before anything reaches the store, then seal it as one ordinary
  // object (fresh header, default segments, atomic commit).
  const auto header = crypto::new_header(ctx.keys.newest());
  const auto header_bytes = crypto::encode_header(header);
  crypto::ObjectCipher cipher(ctx.keys, header, object_identity(ctx, store_name(ctx, ex, route), route.key));
  std::unique_ptr<SealPipeline> pipe;
  std::exception_ptr failure;
  try {
    co_await ex.blocking([&] {
      const std::string whole = crypto::sha256_hex(upload.plain);
      if (whole != q.sha256_hex) {
        throw Error(ErrorKind::bad_request,
                    "the stripes hold sha256 " + whole + ", the upload named " + q.sha256_hex + ": nothing stored");
      }
      pipe = std::make_unique<SealPipeline>(cipher, store.create(route.key, header_bytes), ctx.metrics);
      pipe->write(upload.plain);
      pipe->commit();
    });
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard_on_pool(ex, pipe);
  if (failure) std::rethrow_exception(failure);
  ++ctx.metrics.striped_uploads_completed;
  answer["size"] = q.layout.size;
  answer["sha256"] = q.sha256_hex;
  co_await respond_json(ex, 201, answer.dump());
}

}  // namespace haul::gateway
