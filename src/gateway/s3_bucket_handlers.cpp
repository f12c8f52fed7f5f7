// ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
// ListObjects (V1, V2) and ListObjectVersions over the bucket book and the
// default store.

#include <charconv>
#include <cstdint>

#include "core/error.hpp"
#include "gateway/handlers.hpp"
#include "gateway/s3_handlers.hpp"
#include "gateway/s3_object_info.hpp"
#include "gateway/s3_state.hpp"
#include "s3/api_error.hpp"
#include "s3/listing.hpp"
#include "s3/server_xml.hpp"

namespace haul::gateway {

namespace {

// Every key of a gateway belongs to one owner, as S3 sees it.
const s3::Owner kOwner{"haul", "haul"};

constexpr size_t kSmallBody = 64 * 1024;

// Reads a bucket's keys for the listing: store keys "BUCKET/KEY" with the
// bucket taken off, each with the size, mtime and ETag its HEAD would give
// (one trailer read per key, docs/s3-api.md says what that costs).
s3::PageSource bucket_source(GatewayContext& ctx, const std::string& bucket, const std::string& prefix) {
  return [&ctx, bucket, prefix](std::string_view start_after, size_t limit) {
    const std::string base = bucket + "/";
    store::Store& store = default_store(ctx);
    std::vector<s3::ListedObject> out;
    std::string after = start_after.empty() ? std::string() : base + std::string(start_after);
    // Keys vanish between the listing and their HEAD: read on until the page
    // is full or the store has no more.
    while (out.size() < limit) {
      auto page = store.list(base + prefix, after, limit - out.size());
      for (const auto& e : page.entries) {
        auto info = s3_object_info(ctx, e.key);
        if (!info) continue;
        out.push_back({e.key.substr(base.size()), info->size, info->mtime_unix, unquoted(info->etag)});
      }
      if (!page.next_after) break;
      after = *page.next_after;
    }
    return out;
  };
}

asio::awaitable<void> list_objects(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const auto& bucket = call.target.bucket;
  const s3::ListQuery query = s3::parse_list_query(call.target.query);
  s3::ListResult result;
  co_await ex.blocking([&] {
    ctx.s3->buckets.require(bucket);
    result = s3::list_objects(query, bucket_source(ctx, bucket, query.prefix));
  });
  co_await respond_xml(ex, call, 200, s3::list_objects_result(bucket, query, result, kOwner));
}

// ListObjectVersions of a bucket without versioning (haul keeps none): the
// V1 listing with key-marker as its marker, each object shown as version
// "null". Tools that empty a bucket (s3-tests, rclone's purge with
// versions, aws s3api scripts) list versions first.
asio::awaitable<void> list_object_versions(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const auto& bucket = call.target.bucket;
  auto params = call.target.query;
  const std::string key_marker = params.contains("key-marker") ? params.at("key-marker") : std::string();
  if (auto v = params.find("version-id-marker"); v != params.end() && !v->second.empty()) {
    if (key_marker.empty()) {
      throw s3::ApiError(400, "InvalidArgument", "A version-id marker cannot be specified without a key marker.");
    }
    if (v->second != "null") throw s3::ApiError(400, "InvalidArgument", "Invalid version id specified");
  }
  params.erase("list-type");
  params.erase("start-after");
  params.erase("continuation-token");
  params["marker"] = key_marker;
  const s3::ListQuery query = s3::parse_list_query(params);
  s3::ListResult result;
  co_await ex.blocking([&] {
    ctx.s3->buckets.require(bucket);
    result = s3::list_objects(query, bucket_source(ctx, bucket, query.prefix));
  });
  co_await respond_xml(ex, call, 200, s3::list_versions_result(bucket, query, result, kOwner));
}

asio::awaitable<void> create_bucket(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const std::string body = co_await read_small_body(ex, kSmallBody);
  const std::string location = s3::parse_create_bucket_configuration(body);
  if (!location.empty() && location != ctx.config.s3_region) {
    throw s3::ApiError(400, "InvalidLocationConstraint",
                       "this gateway serves region '" + ctx.config.s3_region + "', not '" + location + "'");
  }
  co_await ex.blocking([&] { ctx.s3->buckets.create(call.target.bucket); });
  Headers extra{{"Location", "/" + call.target.bucket}};
  co_await ex.respond(200, "", "", call.headers(std::move(extra)));
}

}  // namespace

// ListBuckets: every bucket the key may use, by name; with max-buckets, a
// page of them and a ContinuationToken where the next starts (prefix and
// continuation-token as S3 takes them).
asio::awaitable<void> s3_list_buckets(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const auto& q = call.target.query;
  auto param = [&](const char* name) { return q.contains(name) ? q.at(name) : std::string(); };
  size_t max_buckets = SIZE_MAX;
  if (q.contains("max-buckets")) {
    const std::string text = param("max-buckets");
    size_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > 10000) {
      throw s3::ApiError(400, "InvalidArgument", "max-buckets must be an integer from 1 to 10000");
    }
    max_buckets = n;
  }
  std::string after;
  if (const std::string token = param("continuation-token"); !token.empty()) {
    auto decoded = s3::decode_continuation_token(token);
    if (!decoded) throw s3::ApiError(400, "InvalidArgument", "The continuation token provided is incorrect");
    after = std::move(*decoded);
  }
  const std::string prefix = param("prefix");
  std::vector<BucketInfo> buckets;
  co_await ex.blocking([&] { buckets = ctx.s3->buckets.list(); });
  std::vector<s3::BucketEntry> shown;
  std::string next;
  for (auto& b : buckets) {
    if (b.name <= after || !b.name.starts_with(prefix) || !call.auth.credential->allows(b.name)) continue;
    if (shown.size() == max_buckets) {
      next = s3::encode_continuation_token(shown.back().name);
      break;
    }
    shown.push_back({std::move(b.name), b.created_unix});
  }
  co_await respond_xml(ex, call, 200, s3::list_all_my_buckets_result(kOwner, shown, next, prefix));
}

asio::awaitable<void> s3_bucket_request(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const auto& bucket = call.target.bucket;
  switch (call.target.op) {
    case S3Op::create_bucket: co_return co_await create_bucket(ctx, ex, call);
    case S3Op::head_bucket: {
      co_await ex.blocking([&] { ctx.s3->buckets.require(bucket); });
      Headers extra{{"x-amz-bucket-region", ctx.config.s3_region}};
      co_await ex.respond(200, "", "", call.headers(std::move(extra)));
      co_return;
    }
    case S3Op::delete_bucket:
      co_await ex.blocking([&] { ctx.s3->buckets.remove(bucket); });
      co_await ex.respond(204, "", "", call.headers());
      co_return;
    case S3Op::get_bucket_location:
      co_await ex.blocking([&] { ctx.s3->buckets.require(bucket); });
      co_await respond_xml(ex, call, 200, s3::location_constraint(ctx.config.s3_region));
      co_return;
    case S3Op::list_objects_v1:
    case S3Op::list_objects_v2: co_return co_await list_objects(ctx, ex, call);
    case S3Op::list_object_versions: co_return co_await list_object_versions(ctx, ex, call);
    default: throw Error(ErrorKind::internal, "not a bucket operation");
  }
}

}  // namespace haul::gateway
