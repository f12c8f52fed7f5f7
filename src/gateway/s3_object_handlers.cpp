// PutObject, GetObject, HeadObject, DeleteObject and DeleteObjects: the S3
// names for the native API's seal and open pipelines. Objects are stored
// under "BUCKET/KEY" in the default store (s3_buckets.hpp), with their
// Content-* headers and x-amz-meta-* in the format header (authenticated
// with the object) and the MD5 of their plaintext in the trailer (the ETag).

#include <charconv>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/handlers.hpp"
#include "gateway/open_pipeline.hpp"
#include "gateway/s3_body.hpp"
#include "gateway/s3_handlers.hpp"
#include "gateway/s3_headers.hpp"
#include "gateway/s3_object_info.hpp"
#include "gateway/s3_state.hpp"
#include "gateway/s3_seal.hpp"
#include "gateway/seal_pipeline.hpp"
#include "s3/api_error.hpp"
#include "s3/server_xml.hpp"

namespace haul::gateway {

namespace {

constexpr size_t kDeleteBodyLimit = 4 * 1024 * 1024;  // 1000 keys of 1 KiB, escaped

store::Store& default_store(GatewayContext& ctx) {
  return *ctx.stores.at(ctx.default_store);
}

ReadTarget read_target(GatewayContext& ctx, const std::string& store_key) {
  return {object_identity(ctx, ctx.default_store, store_key), ctx.config.min_format};
}

// Looks the object up as HEAD does, after checking its bucket: 404
// NoSuchBucket or NoSuchKey, S3's distinction.
asio::awaitable<S3ObjectInfo> find_object(GatewayContext& ctx, Exchange& ex, const S3Call& call,
                                          const std::string& store_key) {
  std::optional<S3ObjectInfo> info;
  co_await ex.blocking([&] {
    ctx.s3->buckets.require(call.target.bucket);
    info = s3_object_info(ctx, store_key);
  });
  if (!info) throw s3::ApiError(404, "NoSuchKey", "no object '" + call.target.key + "' in this bucket");
  co_return std::move(*info);
}

// The headers of a GET or HEAD answer: ETag, Last-Modified, stored metadata.
Headers object_headers(const S3Call& call, const S3ObjectInfo& info) {
  Headers h = call.headers({{"ETag", info.etag}, {"Last-Modified", http_date(info.mtime_unix)}});
  for (auto& pair : metadata_response_headers(info.metadata, call.target.query)) h.push_back(std::move(pair));
  return h;
}

// 304 or 412 when the conditional headers say so; false to go on.
asio::awaitable<bool> answered_by_conditions(Exchange& ex, const S3Call& call, const S3ObjectInfo& info) {
  auto header = [&](std::string_view name) { return ex.request().header(name); };
  const auto verdict = evaluate_conditions(header, ex.request().method, info.etag, info.mtime_unix);
  if (!verdict) co_return false;
  if (*verdict == 412) throw s3::ApiError(412, "PreconditionFailed", "a precondition given in the request failed");
  Headers extra{{"ETag", info.etag}, {"Last-Modified", http_date(info.mtime_unix)}};
  co_await ex.respond(304, "", "", call.headers(std::move(extra)));
  co_return true;
}

// A conditional write (If-Match / If-None-Match on PutObject): 412 unless
// the object as it is now passes. If-Match on a missing object is 404
// NoSuchKey, as S3 answers it (there is nothing to match). Checked before
// the body (to fail fast) and again after it, just before the commit: a
// write that landed meanwhile is seen.
void check_write_conditions(GatewayContext& ctx, const Request& request, const std::string& store_key) {
  const std::string if_match = request.header("if-match"), if_none_match = request.header("if-none-match");
  if (if_match.empty() && if_none_match.empty()) return;
  const auto info = s3_object_info(ctx, store_key);
  if (!info && !if_match.empty()) throw s3::ApiError(404, "NoSuchKey", "If-Match names an object that does not exist");
  if (info && evaluate_conditions(if_match, if_none_match, "", "", "PUT", info->etag, info->mtime_unix)) {
    throw s3::ApiError(412, "PreconditionFailed", "a precondition given in the request failed");
  }
}

asio::awaitable<void> put_object(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const std::string key = bucket_object_key(call.target.bucket, call.target.key);
  const MetadataPairs metadata = metadata_from_request(ex.request().all_headers());
  S3Body body(ex, call.auth);
  co_await ex.blocking([&] {
    ctx.s3->buckets.require(call.target.bucket);
    check_write_conditions(ctx, ex.request(), key);
  });
  const SealResult result =
      co_await seal_object(ctx, ex, key, metadata, with_md5(), [&](SealPipeline& pipe) -> asio::awaitable<void> {
        co_await feed_body(ex, body, pipe);
        co_await ex.blocking([&] { check_write_conditions(ctx, ex.request(), key); });
      });
  Headers extra{{"ETag", quoted_md5(*result.md5)}};
  co_await ex.respond(200, "", "", call.headers(std::move(extra)));
}

// The S3 ETag of the version the opener found: remembered, or read from its
// trailer (and remembered).
asio::awaitable<std::string> etag_of_version(GatewayContext& ctx, Exchange& ex, const std::string& store_key,
                                             const ResponseStart& r) {
  if (auto known = ctx.s3->remembered_etag(store_key, r.etag)) co_return *known;
  std::optional<S3ObjectInfo> info;
  co_await ex.blocking([&] { info = s3_object_info(ctx, store_key); });
  if (!info || info->native_etag != r.etag) {
    // Replaced (or removed) between the read and the trailer's: that ETag
    // is not the one of the bytes at hand.
    throw s3::ApiError(503, "SlowDown", "the object was replaced while it was read; retry");
  }
  co_return info->etag;
}

asio::awaitable<void> send_body(GatewayContext& ctx, Exchange& ex, ObjectOpener& opener, const S3Call& call,
                                const std::string& store_key) {
  ResponseStart r;
  try {
    co_await ex.blocking([&] { r = opener.open(); });
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) {
      throw s3::ApiError(404, "NoSuchKey", "no object '" + call.target.key + "' in this bucket");
    }
    throw;
  }
  // (co_await as its own statement: g++ 12 frees the temporaries of an
  // initializer list holding a co_await twice.)
  std::string etag = co_await etag_of_version(ctx, ex, store_key, r);
  const S3ObjectInfo info{r.object_size, r.mtime_unix, std::move(etag), r.etag, r.metadata};
  if (co_await answered_by_conditions(ex, call, info)) co_return;
  if (r.status == 416) {
    throw s3::ApiError(416, "InvalidRange",
                       "the range is outside the object (" + std::to_string(r.object_size) + " bytes)");
  }
  Headers h = object_headers(call, info);
  h.emplace_back("Accept-Ranges", "bytes");
  if (r.content_range) h.emplace_back("Content-Range", *r.content_range);
  co_await ex.begin_body(r.status, std::move(h), r.content_length);
  co_await send_opened_body(ex, opener);
}

// One store read when the version's ETag is remembered (s3_state.hpp): the
// range is opened first, and the ETag, mtime and metadata come with it.
asio::awaitable<void> get_object(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const std::string key = bucket_object_key(call.target.bucket, call.target.key);
  co_await ex.blocking([&] { ctx.s3->buckets.require(call.target.bucket); });
  auto opener = std::make_unique<ObjectOpener>(default_store(ctx), ctx.keys, ctx.metrics, read_target(ctx, key),
                                               ex.request().header("range"));
  std::exception_ptr failure;
  try {
    co_await send_body(ctx, ex, *opener, call, key);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await ex.blocking([&] { opener.reset(); });  // closing a store reader may block
  if (failure) std::rethrow_exception(failure);
}

asio::awaitable<void> head_object(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const std::string key = bucket_object_key(call.target.bucket, call.target.key);
  const S3ObjectInfo info = co_await find_object(ctx, ex, call, key);
  if (co_await answered_by_conditions(ex, call, info)) co_return;
  Headers h = object_headers(call, info);
  h.emplace_back("Accept-Ranges", "bytes");
  co_await ex.begin_body(200, std::move(h), info.size);
  co_await ex.end_body();
}

// Absent already is deleted: S3 answers 204 either way.
void remove_if_present(store::Store& store, const std::string& key) {
  try {
    store.remove(key);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::not_found) throw;
  }
}

// The conditions a delete may carry: If-Match, x-amz-if-match-last-modified-time
// and x-amz-if-match-size on DeleteObject, an entry's ETag, LastModifiedTime
// and Size in DeleteObjects (S3's directory buckets and RGW take them).
struct DeleteConditions {
  std::string etag;  // "" none, "*" any
  std::optional<int64_t> last_modified;
  std::optional<uint64_t> size;
  bool any() const { return !etag.empty() || last_modified || size; }
};

DeleteConditions delete_conditions_of(const Request& request) {
  DeleteConditions c;
  c.etag = s3::normalize_etag(request.header("if-match"));
  if (auto text = request.header("x-amz-if-match-last-modified-time"); !text.empty()) {
    c.last_modified = parse_http_date(text);
    if (!c.last_modified) throw s3::ApiError(400, "InvalidArgument", "x-amz-if-match-last-modified-time is no date");
  }
  if (auto text = request.header("x-amz-if-match-size"); !text.empty()) {
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
    if (ec != std::errc() || end != text.data() + text.size()) {
      throw s3::ApiError(400, "InvalidArgument", "x-amz-if-match-size must be a byte count");
    }
    c.size = size;
  }
  return c;
}

// Removes the object unless it exists and fails a condition (412
// PreconditionFailed). Absent is deleted already, whatever the conditions
// (S3's and RGW's answer). The check and the removal are two store calls: a
// write landing between them is not seen (stores offer no conditional delete).
void remove_when(GatewayContext& ctx, const std::string& key, const DeleteConditions& c) {
  if (c.any()) {
    const auto info = s3_object_info(ctx, key);
    if (!info) return;
    const bool etag_ok = c.etag.empty() || c.etag == "*" || c.etag == unquoted(info->etag);
    const bool time_ok = !c.last_modified || *c.last_modified == info->mtime_unix;
    const bool size_ok = !c.size || *c.size == info->size;
    if (!etag_ok || !time_ok || !size_ok) {
      throw s3::ApiError(412, "PreconditionFailed", "the object does not match the delete's conditions");
    }
  }
  remove_if_present(default_store(ctx), key);
}

asio::awaitable<void> delete_object(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const std::string key = bucket_object_key(call.target.bucket, call.target.key);
  const DeleteConditions conditions = delete_conditions_of(ex.request());
  co_await ex.blocking([&] {
    ctx.s3->buckets.require(call.target.bucket);
    remove_when(ctx, key, conditions);
  });
  co_await ex.respond(204, "", "", call.headers());
}

}  // namespace

asio::awaitable<void> s3_object_request(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  switch (call.target.op) {
    case S3Op::put_object: co_return co_await put_object(ctx, ex, call);
    case S3Op::get_object: co_return co_await get_object(ctx, ex, call);
    case S3Op::head_object: co_return co_await head_object(ctx, ex, call);
    case S3Op::delete_object: co_return co_await delete_object(ctx, ex, call);
    default: throw Error(ErrorKind::internal, "not an object operation");
  }
}

asio::awaitable<void> s3_delete_objects(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const std::string body = co_await read_small_body(ex, kDeleteBodyLimit);
  const s3::DeleteRequest request = s3::parse_delete_request(body);
  std::vector<s3::DeleteOutcome> outcomes;
  co_await ex.blocking([&] {
    ctx.s3->buckets.require(call.target.bucket);
    for (const auto& object : request.objects) {
      s3::DeleteOutcome outcome{object.key, "", ""};
      try {
        const DeleteConditions conditions{object.etag, object.last_modified, object.size};
        remove_when(ctx, bucket_object_key(call.target.bucket, object.key), conditions);
      } catch (const s3::ApiError& e) {
        outcome.code = e.code();
        outcome.message = e.what();
      } catch (const Error& e) {
        outcome.code = "InternalError";
        outcome.message = std::string(e.public_message());
      }
      outcomes.push_back(std::move(outcome));
    }
  });
  co_await respond_xml(ex, call, 200, s3::delete_result(outcomes, request.quiet));
}

}  // namespace haul::gateway
