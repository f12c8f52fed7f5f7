// CopyObject: a server-side copy is a re-seal as a stream (the source's
// plaintext, authenticated segment by segment, sealed anew for the target
// key: the format binds every object to its key), with the source's
// metadata (x-amz-metadata-directive COPY, the default) or the request's
// (REPLACE).

#include <ctime>

#include "core/error.hpp"
#include "gateway/handlers.hpp"
#include "gateway/s3_buckets.hpp"
#include "gateway/s3_handlers.hpp"
#include "gateway/s3_object_info.hpp"
#include "gateway/s3_seal.hpp"
#include "gateway/s3_state.hpp"
#include "s3/api_error.hpp"
#include "s3/server_xml.hpp"

namespace haul::gateway {

asio::awaitable<S3CopyFrom> resolve_copy_source(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const Request& request = ex.request();
  const CopySource source = parse_copy_source(request.header("x-amz-copy-source"));
  if (!call.auth.credential->allows(source.bucket)) {
    throw s3::ApiError(403, "AccessDenied", "this access key may not read bucket '" + source.bucket + "'");
  }
  const std::string store_key = bucket_object_key(source.bucket, source.key);
  std::optional<S3ObjectInfo> info;
  co_await ex.blocking([&] {
    ctx.s3->buckets.require(source.bucket);
    ctx.s3->buckets.require(call.target.bucket);
    info = s3_object_info(ctx, store_key);
  });
  if (!info) throw s3::ApiError(404, "NoSuchKey", "the copy source '" + source.key + "' does not exist");
  // The x-amz-copy-source-if-* headers: any failure is 412 (S3 answers no
  // 304 for a copy).
  auto header = [&](std::string_view name) { return request.header("x-amz-copy-source-" + std::string(name)); };
  if (evaluate_conditions(header, "GET", info->etag, info->mtime_unix)) {
    throw s3::ApiError(412, "PreconditionFailed", "a copy-source precondition failed");
  }
  co_return S3CopyFrom{store_key, std::move(*info)};
}

asio::awaitable<void> s3_copy_object(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const std::string target_key = bucket_object_key(call.target.bucket, call.target.key);
  const S3CopyFrom from = co_await resolve_copy_source(ctx, ex, call);
  std::string directive = ex.request().header("x-amz-metadata-directive");
  if (directive.empty()) directive = "COPY";
  if (directive != "COPY" && directive != "REPLACE") {
    throw s3::ApiError(400, "InvalidArgument", "x-amz-metadata-directive must be COPY or REPLACE");
  }
  if (directive == "COPY" && from.store_key == target_key) {
    throw s3::ApiError(400, "InvalidRequest",
                       "This copy request is illegal because it is trying to copy an object to itself without "
                       "changing the object's metadata.");
  }
  const MetadataPairs metadata =
      directive == "COPY" ? from.info.metadata : metadata_from_request(ex.request().all_headers());
  const SealResult result = co_await seal_object(ctx, ex, target_key, metadata, with_md5(), [&](SealPipeline& pipe) {
    return feed_stored(ctx, ex, from.store_key, std::nullopt, pipe);
  });
  co_await respond_xml(ex, call, 200, s3::copy_object_result(unquoted(quoted_md5(*result.md5)), std::time(nullptr)));
}

}  // namespace haul::gateway
