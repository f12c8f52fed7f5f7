#include "gateway/s3_seal.hpp"

#include "core/error.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/handlers.hpp"
#include "gateway/open_pipeline.hpp"
#include "gateway/s3_object_info.hpp"
#include "gateway/s3_state.hpp"
#include "core/hex.hpp"
#include "s3/api_error.hpp"

namespace haul::gateway {

asio::awaitable<SealResult> seal_object(GatewayContext& ctx, Exchange& ex, const std::string& store_key,
                                        const MetadataPairs& metadata, SealTarget target, const FeedFn& feed) {
  store::Store& store = *ctx.stores.at(ctx.default_store);
  const auto header = crypto::new_header(ctx.keys.newest(), crypto::kDefaultSegmentSize, metadata);
  const auto header_bytes = crypto::encode_header(header);
  crypto::ObjectCipher cipher(ctx.keys, header, object_identity(ctx, ctx.default_store, store_key));
  std::unique_ptr<SealPipeline> pipe;
  std::exception_ptr failure;
  SealResult result;
  try {
    co_await ex.blocking([&] {
      pipe = std::make_unique<SealPipeline>(cipher, store.create(store_key, header_bytes), ctx.metrics, target);
    });
    co_await feed(*pipe);
    co_await ex.blocking([&] { result = pipe->commit(); });
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard_on_pool(ex, pipe);
  if (failure) std::rethrow_exception(failure);
  // The next GET of this version needs no trailer read for its ETag.
  const auto& totals = target.totals;
  if (totals && totals->md5) {
    ctx.s3->remember_etag(store_key, etag_of(header_bytes),
                          "\"" + to_hex(std::span<const uint8_t>(totals->md5->data(), 16)) + "-" +
                              std::to_string(totals->etag_parts) + "\"");
  } else if (result.md5) {
    ctx.s3->remember_etag(store_key, etag_of(header_bytes), quoted_md5(*result.md5));
  }
  co_return result;
}

asio::awaitable<void> feed_body(Exchange& ex, S3Body& body, SealPipeline& pipe) {
  for (;;) {
    auto piece = co_await body.next();
    if (piece.empty()) break;
    co_await ex.blocking([&] { pipe.write(piece); });
  }
}

asio::awaitable<void> feed_stored(GatewayContext& ctx, Exchange& ex, std::string store_key,
                                  std::optional<CopyRange> range, SealPipeline& pipe) {
  const std::string range_header =
      range ? "bytes=" + std::to_string(range->first) + "-" + std::to_string(range->last) : std::string();
  auto opener = std::make_unique<ObjectOpener>(
      *ctx.stores.at(ctx.default_store), ctx.keys, ctx.metrics,
      ReadTarget{object_identity(ctx, ctx.default_store, store_key), ctx.config.min_format}, range_header);
  std::exception_ptr failure;
  try {
    ResponseStart start;
    co_await ex.blocking([&] { start = opener->open(); });
    // HTTP clamps a range that runs past the end; a copy range must lie
    // inside the source (S3 answers InvalidRange rather than copy less).
    if (start.status == 416 || (range && range->last >= start.object_size)) {
      throw s3::ApiError(
          416, "InvalidRange",
          "the copy source range is outside the object (" + std::to_string(start.object_size) + " bytes)");
    }
    for (bool more = true; more;) {
      // One store read and its decryption, then one seal and store write:
      // a short step on the pool, never a wait on a client.
      co_await ex.blocking([&] {
        auto piece = opener->next();
        more = !piece.empty();
        if (more) pipe.write(piece);
      });
    }
  } catch (const Error& e) {
    failure = e.kind() == ErrorKind::not_found
                  ? std::make_exception_ptr(s3::ApiError(404, "NoSuchKey", "the copy source does not exist"))
                  : std::current_exception();
  } catch (...) {
    failure = std::current_exception();
  }
  co_await ex.blocking([&] { opener.reset(); });
  if (failure) std::rethrow_exception(failure);
}

}  // namespace haul::gateway
