#pragma once
// The S3 API's request handlers (docs/s3-api.md), over the same Exchange and
// pipelines as the native API. serve_s3 is what serve_request hands an S3
// route to: it authenticates (SigV4), dispatches, and answers every failure
// with S3's <Error> document.

#include <chrono>
#include <memory>
#include <string>

#include "gateway/context.hpp"
#include "gateway/exchange.hpp"
#include "gateway/s3_object_info.hpp"
#include "gateway/s3_target.hpp"
#include "gateway/serve.hpp"
#include "s3/sigv4_verify.hpp"

namespace haul::gateway {

asio::awaitable<Served> serve_s3(GatewayContext& ctx, Exchange& ex, uint64_t connection);

// One authenticated S3 request, as the handlers see it.
struct S3Call {
  S3Target target;
  std::shared_ptr<const s3::S3Credentials> credentials;  // what auth.credential points into
  s3::VerifiedRequest auth;
  std::string request_id;  // x-amz-request-id of the answer
  // x-amz-request-id and the headers every S3 answer carries, plus more.
  Headers headers(Headers more = {}) const;
};

// Bucket operations and listings (s3_bucket_handlers.cpp).
asio::awaitable<void> s3_list_buckets(GatewayContext& ctx, Exchange& ex, const S3Call& call);
asio::awaitable<void> s3_bucket_request(GatewayContext& ctx, Exchange& ex, const S3Call& call);
// Object operations (s3_object_handlers.cpp).
asio::awaitable<void> s3_object_request(GatewayContext& ctx, Exchange& ex, const S3Call& call);
asio::awaitable<void> s3_delete_objects(GatewayContext& ctx, Exchange& ex, const S3Call& call);

// CopyObject (s3_copy_handlers.cpp), and the source of a copy: resolved
// from x-amz-copy-source, allowed for the key, existing, and passing the
// x-amz-copy-source-if-* conditions (else 412).
asio::awaitable<void> s3_copy_object(GatewayContext& ctx, Exchange& ex, const S3Call& call);
struct S3CopyFrom {
  std::string store_key;
  S3ObjectInfo info;
};
asio::awaitable<S3CopyFrom> resolve_copy_source(GatewayContext& ctx, Exchange& ex, const S3Call& call);

// Multipart uploads (s3_multipart_handlers.cpp).
asio::awaitable<void> s3_multipart_request(GatewayContext& ctx, Exchange& ex, const S3Call& call);
// Removes multipart uploads begun more than max_age ago, parts and all;
// returns how many (blocking: the gateway's periodic cleanup calls it).
size_t expire_s3_uploads(GatewayContext& ctx, std::chrono::seconds max_age);

// The store the S3 API's buckets live in: the gateway's default one.
inline store::Store& default_store(GatewayContext& ctx) {
  return *ctx.stores.at(ctx.default_store);
}

// A small XML answer with the S3 headers.
asio::awaitable<void> respond_xml(Exchange& ex, const S3Call& call, int status, std::string xml);

}  // namespace haul::gateway
