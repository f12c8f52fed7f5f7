#pragma once
// Writing objects for the S3 API: one way to seal a new object into the
// default store (PutObject, CopyObject, UploadPart, CompleteMultipartUpload,
// the upload markers), and one way to feed it the plaintext of stored
// objects (copies and multipart completion re-seal as a stream: the format
// binds each object to its key, so bytes cannot be moved, only re-sealed).

#include <functional>
#include <optional>
#include <string>

#include "gateway/context.hpp"
#include "gateway/exchange.hpp"
#include "gateway/s3_body.hpp"
#include "gateway/s3_headers.hpp"
#include "gateway/s3_target.hpp"
#include "gateway/seal_pipeline.hpp"

namespace haul::gateway {

// A whole object whose trailer carries the plaintext's MD5 (the S3 ETag).
inline SealTarget with_md5() {
  SealTarget target;
  target.compute_md5 = true;
  return target;
}
// A whole object whose trailer is `totals` as given (a multipart ETag).
inline SealTarget with_totals(const crypto::ObjectCipher::TrailerContents& totals) {
  SealTarget target;
  target.totals = totals;
  return target;
}

using FeedFn = std::function<asio::awaitable<void>(SealPipeline&)>;

// Seals what `feed` writes into a new object at store_key with `metadata`
// (format 3 header), committing it only when feed returned; on any failure
// nothing is stored (the previous object, if any, stays).
asio::awaitable<SealResult> seal_object(GatewayContext& ctx, Exchange& ex, const std::string& store_key,
                                        const MetadataPairs& metadata, SealTarget target, const FeedFn& feed);

// Writes the upload's payload into pipe as it arrives; returns once the body
// ended and every check of S3Body passed.
asio::awaitable<void> feed_body(Exchange& ex, S3Body& body, SealPipeline& pipe);

// Writes the plaintext of the stored object at store_key (whole, or
// `range` of it) into pipe, authenticated segment by segment. Throws
// s3::ApiError(416 InvalidRange) for a range outside it, (404 NoSuchKey)
// when it does not exist.
//
// store_key and range are taken by value: callers hand this coroutine out of
// a lambda (FeedFn), and Asio's awaitables start only when awaited, so a
// reference to the caller's temporary (std::nullopt) would dangle by then.
asio::awaitable<void> feed_stored(GatewayContext& ctx, Exchange& ex, std::string store_key,
                                  std::optional<CopyRange> range, SealPipeline& pipe);

}  // namespace haul::gateway
