// PutObject, GetObject, HeadObject, DeleteObject and DeleteObjects: the S3
// names for the native API's seal and open pipelines. Objects are stored
// under "BUCKET/KEY" in the default store (s3_buckets.hpp), with their
// Content-* headers and x-amz-meta-* in the format header (authenticated
// with the object) and the MD5 of their plaintext in the trailer (the ETag).

#include <algorithm>
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
#include "http/ows.hpp"
#include "s3/api_error.hpp"
#include "s3/payload_checksum.hpp"
#include "s3/server_xml.hpp"

namespace haul::gateway {

namespace {

constexpr size_t kDeleteBodyLimit = 4 * 1024 * 1024;  // 1000 keys of 1 KiB, escaped

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

// The stored x-amz-checksum-* of an object (at most one: PutObject's).
std::optional<std::pair<std::string, std::string>> stored_checksum(const S3ObjectInfo& info) {
  for (const auto& [name, value] : info.metadata) {
    if (s3::PayloadChecksum::for_name(name)) return std::make_pair(name, value);
  }
  return std::nullopt;
}

// The headers of a GET or HEAD answer: ETag, Last-Modified, stored metadata,
// and the stored checksum when x-amz-checksum-mode: ENABLED asks for it and
// the answer is the whole object (a client checks a range's bytes against
// it otherwise, and fails: S3 leaves it out of ranged answers too).
Headers object_headers(const Request& request, const S3Call& call, const S3ObjectInfo& info, bool whole) {
  Headers h = call.headers({{"ETag", info.etag}, {"Last-Modified", http_date(info.mtime_unix)}});
  for (auto& pair : metadata_response_headers(info.metadata, call.target.query)) h.push_back(std::move(pair));
  if (whole && request.header("x-amz-checksum-mode") == "ENABLED") {
    if (auto checksum = stored_checksum(info)) h.push_back(std::move(*checksum));
  }
  return h;
}

// The part count in a multipart ETag ("hex-N"), 0 for a whole-object one.
uint32_t parts_count_of(const std::string& etag) {
  const std::string plain = unquoted(etag);
  const size_t dash = plain.rfind('-');
  uint32_t n = 0;
  if (dash == std::string::npos) return 0;
  std::from_chars(plain.data() + dash + 1, plain.data() + plain.size(), n);
  return n;
}

// GetObject / HeadObject with ?partNumber=N. An object stored whole is its
// one part: N = 1 reads it all, any other N is 400 InvalidPart. A multipart
// object's part boundaries are not kept (Complete re-seals the parts into
// one stream), so its parts cannot be read one by one: 501.
void check_part_number(const S3Call& call, const S3ObjectInfo& info) {
  auto it = call.target.query.find("partNumber");
  if (it == call.target.query.end()) return;
  uint32_t n = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > s3::max_part_number) {
    throw s3::ApiError(400, "InvalidArgument", "partNumber must be an integer from 1 to 10000");
  }
  if (parts_count_of(info.etag) > 0) {
    throw s3::ApiError(501, "NotImplemented", "reading one part of a multipart object is not offered");
  }
  if (n != 1) throw s3::ApiError(400, "InvalidPart", "the object has one part");
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
  MetadataPairs metadata = metadata_from_request(ex.request().all_headers());
  S3Body body(ex, call.auth);
  // An x-amz-checksum-* header is known before the body: it is stored with
  // the object (HEAD and GET give it back with x-amz-checksum-mode:
  // ENABLED), and the object is only committed when the body matches it.
  if (body.checksum_header()) {
    metadata.push_back(*body.checksum_header());
    std::sort(metadata.begin(), metadata.end());
  }
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
  if (body.checksum_header()) extra.push_back(*body.checksum_header());
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
  check_part_number(call, info);
  if (co_await answered_by_conditions(ex, call, info)) co_return;
  if (r.status == 416) {
    throw s3::ApiError(416, "InvalidRange",
                       "the range is outside the object (" + std::to_string(r.object_size) + " bytes)");
  }
  Headers h = object_headers(ex.request(), call, info, !r.content_range);
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
  check_part_number(call, info);
  if (co_await answered_by_conditions(ex, call, info)) co_return;
  Headers h = object_headers(ex.request(), call, info, true);
  h.emplace_back("Accept-Ranges", "bytes");
  co_await ex.begin_body(200, std::move(h), info.size);
  co_await ex.end_body();
}

// GetObjectAttributes: what HEAD knows, as XML, for the attributes named
// in x-amz-object-attributes.
asio::awaitable<void> get_object_attributes(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  std::vector<std::string> asked;
  const std::string header = ex.request().header("x-amz-object-attributes");
  for (std::string_view name : http::list_elements(header)) asked.emplace_back(name);
  if (asked.empty()) throw s3::ApiError(400, "InvalidArgument", "x-amz-object-attributes names no attribute");
  const std::string key = bucket_object_key(call.target.bucket, call.target.key);
  const S3ObjectInfo info = co_await find_object(ctx, ex, call, key);
  s3::ObjectAttributes attributes;
  attributes.etag = unquoted(info.etag);
  attributes.size = info.size;
  attributes.parts_count = parts_count_of(info.etag);
  if (auto checksum = stored_checksum(info)) {
    attributes.checksums.emplace_back("Checksum" + s3::PayloadChecksum::for_name(checksum->first)->algorithm(),
                                      checksum->second);
  }
  Headers h = call.headers({{"Last-Modified", http_date(info.mtime_unix)}});
  co_await ex.respond(200, "application/xml", s3::get_object_attributes_result(attributes, asked), std::move(h));
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
    case S3Op::get_object_attributes: co_return co_await get_object_attributes(ctx, ex, call);
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
