// Multipart uploads of the S3 API. An upload is a marker object and one
// sealed object per part, in the default store under
//
//   .haul-s3-uploads/BUCKET/UPLOAD_ID/upload        (metadata: the object's, and its key)
//   .haul-s3-uploads/BUCKET/UPLOAD_ID/part-NNNNN    (each part sealed on its own, with its MD5)
//
// so any gateway on the same store can take any step. Parts stream into
// encryption as they arrive. CompleteMultipartUpload re-seals the parts'
// plaintext, in order, into the object: S3 parts have sizes the format
// cannot know in advance (segment positions are part of every nonce), so
// the parts cannot become the object in place. That costs one read and one
// write of the object inside Complete (docs/s3-api.md).

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/md5.hpp"
#include "gateway/handlers.hpp"
#include "gateway/s3_body.hpp"
#include "gateway/s3_buckets.hpp"
#include "gateway/s3_handlers.hpp"
#include "gateway/s3_object_info.hpp"
#include "gateway/s3_seal.hpp"
#include "gateway/s3_state.hpp"
#include "s3/api_error.hpp"
#include "s3/server_xml.hpp"

namespace haul::gateway {

namespace {

constexpr std::string_view kUploadsPrefix = ".haul-s3-uploads/";
constexpr std::string_view kKeyName = "x-haul-upload-key";  // the marker's record of the object key
constexpr uint64_t kMinPartSize = 5ull << 20;               // every part but the last (S3's rule)
constexpr uint64_t kMaxPartSize = 5ull << 30;
constexpr size_t kCompleteBodyLimit = 2 * 1024 * 1024;  // 10 000 parts, generously

std::string uploads_of(std::string_view bucket) {
  return std::string(kUploadsPrefix) + std::string(bucket) + "/";
}
std::string upload_dir(std::string_view bucket, std::string_view id) {
  return uploads_of(bucket) + std::string(id) + "/";
}
std::string marker_key(std::string_view bucket, std::string_view id) {
  return upload_dir(bucket, id) + "upload";
}
std::string part_key(std::string_view bucket, std::string_view id, uint32_t n) {
  char digits[8];
  std::snprintf(digits, sizeof digits, "%05u", n);
  return upload_dir(bucket, id) + "part-" + digits;
}

std::string new_upload_id() {
  std::array<uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw Error(ErrorKind::internal, "random generator failed");
  }
  return to_hex(std::span<const uint8_t>(bytes.data(), bytes.size()));
}

const std::string& query_value(const S3Call& call, const char* name) {
  static const std::string none;
  auto it = call.target.query.find(name);
  return it == call.target.query.end() ? none : it->second;
}

uint32_t part_number_of(const S3Call& call) {
  const std::string& text = query_value(call, "partNumber");
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > s3::max_part_number) {
    throw s3::ApiError(400, "InvalidArgument", "partNumber must be an integer from 1 to 10000");
  }
  return n;
}

struct OpenUpload {
  std::string id;
  MetadataPairs metadata;  // the object's, without the key record
  int64_t initiated_unix = 0;
};

[[noreturn]] void no_such_upload() {
  throw s3::ApiError(404, "NoSuchUpload",
                     "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
                     "been aborted or completed.");
}

// The upload named by ?uploadId for this bucket and key (blocking).
OpenUpload find_upload(GatewayContext& ctx, const S3Call& call) {
  const std::string& id = query_value(call, "uploadId");
  const bool well_formed = id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
                             return std::isxdigit(static_cast<unsigned char>(c));
                           });
  if (!well_formed) no_such_upload();
  ctx.s3->buckets.require(call.target.bucket);
  auto info = s3_object_info(ctx, marker_key(call.target.bucket, id));
  if (!info) no_such_upload();
  const auto expiry = ctx.config.upload_expiry.count();
  if (expiry > 0 && std::time(nullptr) - info->mtime_unix > expiry) no_such_upload();
  OpenUpload upload{id, {}, info->mtime_unix};
  bool same_key = false;
  for (auto& [name, value] : info->metadata) {
    if (name == kKeyName) {
      same_key = value == call.target.key;
    } else {
      upload.metadata.emplace_back(name, value);
    }
  }
  if (!same_key) no_such_upload();
  return upload;
}

struct StoredPart {
  uint32_t number = 0;
  S3ObjectInfo info;
};

// Every part stored for the upload, by part number (blocking).
std::vector<StoredPart> stored_parts(GatewayContext& ctx, std::string_view bucket, std::string_view id) {
  std::vector<StoredPart> parts;
  const std::string prefix = upload_dir(bucket, id) + "part-";
  std::string after;
  for (;;) {
    auto page = default_store(ctx).list(prefix, after, 1000);
    for (const auto& e : page.entries) {
      uint32_t n = 0;
      const std::string_view digits = std::string_view(e.key).substr(prefix.size());
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (auto info = s3_object_info(ctx, e.key)) parts.push_back({n, std::move(*info)});
    }
    if (!page.next_after) break;
    after = *page.next_after;
  }
  return parts;
}

// Removes the upload's parts and marker (blocking); absent ones are fine.
void remove_upload(GatewayContext& ctx, std::string_view bucket, std::string_view id) {
  store::Store& store = default_store(ctx);
  const std::string dir = upload_dir(bucket, id);
  for (;;) {
    auto page = store.list(dir, "", 1000);
    for (const auto& e : page.entries) {
      try {
        store.remove(e.key);
      } catch (const Error& err) {
        if (err.kind() != ErrorKind::not_found) throw;
      }
    }
    if (!page.next_after) break;
  }
}

asio::awaitable<void> create_upload(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  bucket_object_key(call.target.bucket, call.target.key);  // refuse a bad key now, not at Complete
  MetadataPairs metadata = metadata_from_request(ex.request().all_headers());
  metadata.emplace_back(std::string(kKeyName), call.target.key);
  co_await ex.blocking([&] { ctx.s3->buckets.require(call.target.bucket); });
  const std::string id = new_upload_id();
  co_await seal_object(ctx, ex, marker_key(call.target.bucket, id), metadata, SealTarget{},
                       [](SealPipeline&) -> asio::awaitable<void> { co_return; });
  co_await respond_xml(ex, call, 200, s3::initiate_multipart_upload_result(call.target.bucket, call.target.key, id));
}

asio::awaitable<void> upload_part(GatewayContext& ctx, Exchange& ex, const S3Call& call, bool copy) {
  const uint32_t n = part_number_of(call);
  OpenUpload upload;
  co_await ex.blocking([&] { upload = find_upload(ctx, call); });
  const std::string key = part_key(call.target.bucket, upload.id, n);
  if (copy) {
    const S3CopyFrom from = co_await resolve_copy_source(ctx, ex, call);
    std::optional<CopyRange> range;
    if (auto text = ex.request().header("x-amz-copy-source-range"); !text.empty()) {
      range = parse_copy_source_range(text);
    }
    const SealResult result = co_await seal_object(ctx, ex, key, {}, with_md5(), [&](SealPipeline& pipe) {
      return feed_stored(ctx, ex, from.store_key, range, pipe);
    });
    co_await respond_xml(ex, call, 200, s3::copy_part_result(unquoted(quoted_md5(*result.md5)), std::time(nullptr)));
    co_return;
  }
  if (ex.request().content_length && *ex.request().content_length > kMaxPartSize) {
    throw s3::ApiError(400, "EntityTooLarge", "a part may be at most 5 GiB");
  }
  S3Body body(ex, call.auth);
  const SealResult result =
      co_await seal_object(ctx, ex, key, {}, with_md5(), [&](SealPipeline& pipe) { return feed_body(ex, body, pipe); });
  Headers extra{{"ETag", quoted_md5(*result.md5)}};
  if (body.checksum_header()) extra.push_back(*body.checksum_header());  // verified; parts do not keep it
  co_await ex.respond(200, "", "", call.headers(std::move(extra)));
}

// Checks the client's part list against what is stored; the parts to
// join, in order, and the multipart ETag's trailer contents.
struct CompletePlan {
  std::vector<std::string> part_keys;
  crypto::ObjectCipher::TrailerContents totals;
};

// The parts a Complete request names, checked for order. A part number
// listed twice in a row: the last entry counts. A client that re-sent a part
// lists both answers, and the part stored is the one that finished last
// (RGW does the same; s3-tests' resend case).
std::vector<s3::CompletedPart> effective_parts(const std::vector<s3::CompletedPart>& listed) {
  if (listed.empty()) throw s3::ApiError(400, "MalformedXML", "the part list is empty");
  std::vector<s3::CompletedPart> parts;
  for (size_t i = 0; i < listed.size(); ++i) {
    if (i > 0 && listed[i].part_number < listed[i - 1].part_number) {
      throw s3::ApiError(400, "InvalidPartOrder", "the list of parts was not in ascending order");
    }
    if (!parts.empty() && parts.back().part_number == listed[i].part_number) parts.pop_back();
    parts.push_back(listed[i]);
  }
  return parts;
}

// The MD5 of the parts' MD5s (the multipart ETag's digest), or nullopt when
// one of their ETags is not an MD5.
std::optional<crypto::Md5Digest> md5_of_part_md5s(const std::vector<s3::CompletedPart>& parts) {
  crypto::Md5 md5;
  for (const auto& part : parts) {
    auto bytes = from_hex(part.etag);
    if (!bytes || bytes->size() != 16) return std::nullopt;
    md5.update(*bytes);
  }
  return md5.finish();
}

// A Complete repeated after it succeeded: the upload is gone, but the object
// is there with the ETag these parts make. S3 and RGW answer 200 again, so a
// client whose first answer was lost does not see a failure (blocking).
std::optional<std::string> completed_before(GatewayContext& ctx, const S3Call& call,
                                            const std::vector<s3::CompletedPart>& parts) {
  auto digest = md5_of_part_md5s(parts);
  if (!digest) return std::nullopt;
  const std::string etag = md5_etag(*digest, static_cast<uint32_t>(parts.size()));
  auto info = s3_object_info(ctx, bucket_object_key(call.target.bucket, call.target.key));
  if (!info || unquoted(info->etag) != etag) return std::nullopt;
  return etag;
}

CompletePlan plan_complete(GatewayContext& ctx, const S3Call& call, const std::string& id,
                           const std::vector<s3::CompletedPart>& asked) {
  const auto stored = stored_parts(ctx, call.target.bucket, id);
  CompletePlan plan;
  plan.totals.plain_size = 0;
  for (size_t i = 0; i < asked.size(); ++i) {
    auto it = std::find_if(stored.begin(), stored.end(),
                           [&](const StoredPart& p) { return p.number == asked[i].part_number; });
    if (it == stored.end() || unquoted(it->info.etag) != asked[i].etag) {
      throw s3::ApiError(
          400, "InvalidPart",
          "part " + std::to_string(asked[i].part_number) + " was not uploaded, or its ETag is not the one given");
    }
    if (i + 1 < asked.size() && it->info.size < kMinPartSize) {
      throw s3::ApiError(400, "EntityTooSmall",
                         "part " + std::to_string(asked[i].part_number) + " is smaller than 5 MiB and not the last");
    }
    plan.totals.plain_size += it->info.size;
    plan.part_keys.push_back(part_key(call.target.bucket, id, asked[i].part_number));
  }
  // Each listed ETag is its stored part's (checked above).
  const auto digest = md5_of_part_md5s(asked);
  if (!digest) throw Error(ErrorKind::integrity, "a stored part has no MD5");
  plan.totals.md5 = *digest;
  plan.totals.etag_parts = static_cast<uint32_t>(asked.size());
  return plan;
}

asio::awaitable<void> complete_upload(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const std::string body = co_await read_small_body(ex, kCompleteBodyLimit);
  const auto asked = effective_parts(s3::parse_complete_multipart_upload_request(body));
  OpenUpload upload;
  CompletePlan plan;
  std::optional<std::string> done_etag;
  co_await ex.blocking([&] {
    try {
      upload = find_upload(ctx, call);
    } catch (const s3::ApiError& e) {
      if (e.code() != "NoSuchUpload" || !(done_etag = completed_before(ctx, call, asked))) throw;
      return;
    }
    plan = plan_complete(ctx, call, upload.id, asked);
  });
  const std::string location = "/" + call.target.bucket + "/" + call.target.key;
  if (done_etag) {
    co_await respond_xml(
        ex, call, 200, s3::complete_multipart_upload_result(location, call.target.bucket, call.target.key, *done_etag));
    co_return;
  }
  const std::string key = bucket_object_key(call.target.bucket, call.target.key);
  co_await seal_object(ctx, ex, key, upload.metadata, with_totals(plan.totals),
                       [&](SealPipeline& pipe) -> asio::awaitable<void> {
                         for (const auto& part : plan.part_keys)
                           co_await feed_stored(ctx, ex, part, std::nullopt, pipe);
                       });
  co_await ex.blocking([&] { remove_upload(ctx, call.target.bucket, upload.id); });
  const std::string etag = md5_etag(*plan.totals.md5, plan.totals.etag_parts);
  co_await respond_xml(ex, call, 200,
                       s3::complete_multipart_upload_result(location, call.target.bucket, call.target.key, etag));
}

asio::awaitable<void> abort_upload(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  co_await ex.blocking([&] {
    const OpenUpload upload = find_upload(ctx, call);
    remove_upload(ctx, call.target.bucket, upload.id);
  });
  co_await ex.respond(204, "", "", call.headers());
}

uint32_t bounded_count(const S3Call& call, const char* name) {
  const std::string& text = query_value(call, name);
  if (text.empty()) return 1000;
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw s3::ApiError(400, "InvalidArgument", std::string(name) + " must be a non-negative integer");
  }
  return std::min<uint32_t>(n, 1000);
}

asio::awaitable<void> list_parts(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  s3::PartsListing listing{
      call.target.bucket, call.target.key, "", 0, std::nullopt, bounded_count(call, "max-parts"), false, {}};
  if (const auto& marker = query_value(call, "part-number-marker"); !marker.empty()) {
    auto [end, ec] = std::from_chars(marker.data(), marker.data() + marker.size(), listing.part_number_marker);
    if (ec != std::errc() || end != marker.data() + marker.size()) {
      throw s3::ApiError(400, "InvalidArgument", "part-number-marker must be a part number");
    }
  }
  co_await ex.blocking([&] {
    const OpenUpload upload = find_upload(ctx, call);
    listing.upload_id = upload.id;
    for (auto& part : stored_parts(ctx, call.target.bucket, upload.id)) {
      if (part.number <= listing.part_number_marker) continue;
      if (listing.parts.size() == listing.max_parts) {
        listing.is_truncated = true;
        break;
      }
      listing.parts.push_back({part.number, part.info.mtime_unix, unquoted(part.info.etag), part.info.size});
    }
    if (listing.is_truncated) listing.next_part_number_marker = listing.parts.back().part_number;
  });
  co_await respond_xml(ex, call, 200, s3::list_parts_result(listing));
}

asio::awaitable<void> list_uploads(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  s3::UploadsListing listing;
  listing.bucket = call.target.bucket;
  listing.prefix = query_value(call, "prefix");
  listing.key_marker = query_value(call, "key-marker");
  listing.upload_id_marker = query_value(call, "upload-id-marker");
  listing.max_uploads = bounded_count(call, "max-uploads");
  listing.url_encoding = query_value(call, "encoding-type") == "url";
  co_await ex.blocking([&] {
    ctx.s3->buckets.require(call.target.bucket);
    std::vector<s3::ListedUpload> all;
    const std::string base = uploads_of(call.target.bucket);
    std::string after;
    for (;;) {
      auto page = default_store(ctx).list(base, after, 1000);
      for (const auto& e : page.entries) {
        if (!e.key.ends_with("/upload")) continue;
        auto info = s3_object_info(ctx, e.key);
        if (!info) continue;
        for (const auto& [name, value] : info->metadata) {
          if (name != kKeyName || !value.starts_with(listing.prefix)) continue;
          all.push_back({value, e.key.substr(base.size(), 32), info->mtime_unix});
        }
      }
      if (!page.next_after) break;
      after = *page.next_after;
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return std::tie(a.key, a.initiated_unix, a.upload_id) < std::tie(b.key, b.initiated_unix, b.upload_id);
    });
    for (auto& u : all) {
      const bool after_marker =
          listing.key_marker.empty() || u.key > listing.key_marker ||
          (u.key == listing.key_marker && !listing.upload_id_marker.empty() && u.upload_id > listing.upload_id_marker);
      if (!after_marker) continue;
      if (listing.uploads.size() == listing.max_uploads) {
        listing.is_truncated = true;
        break;
      }
      listing.uploads.push_back(std::move(u));
    }
    if (listing.is_truncated) {
      listing.next_key_marker = listing.uploads.back().key;
      listing.next_upload_id_marker = listing.uploads.back().upload_id;
    }
  });
  co_await respond_xml(ex, call, 200, s3::list_multipart_uploads_result(listing));
}

}  // namespace

size_t expire_s3_uploads(GatewayContext& ctx, std::chrono::seconds max_age) {
  store::Store& store = default_store(ctx);
  const int64_t oldest = std::time(nullptr) - max_age.count();
  size_t removed = 0;
  std::string after;
  for (;;) {
    auto page = store.list(kUploadsPrefix, after, 1000);
    for (const auto& e : page.entries) {
      // ".haul-s3-uploads/BUCKET/ID/upload": the marker says when it began.
      if (!e.key.ends_with("/upload") || e.mtime_unix >= oldest) continue;
      const std::string_view rest = std::string_view(e.key).substr(kUploadsPrefix.size());
      const auto slash = rest.find('/');
      if (slash == std::string_view::npos) continue;
      remove_upload(ctx, rest.substr(0, slash), rest.substr(slash + 1, rest.size() - slash - 1 - 7));
      ++removed;
    }
    if (!page.next_after) break;
    after = *page.next_after;
  }
  return removed;
}

asio::awaitable<void> s3_multipart_request(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  switch (call.target.op) {
    case S3Op::create_multipart: co_return co_await create_upload(ctx, ex, call);
    case S3Op::upload_part: co_return co_await upload_part(ctx, ex, call, false);
    case S3Op::upload_part_copy: co_return co_await upload_part(ctx, ex, call, true);
    case S3Op::complete_multipart: co_return co_await complete_upload(ctx, ex, call);
    case S3Op::abort_multipart: co_return co_await abort_upload(ctx, ex, call);
    case S3Op::list_parts: co_return co_await list_parts(ctx, ex, call);
    case S3Op::list_multipart_uploads: co_return co_await list_uploads(ctx, ex, call);
    default: throw Error(ErrorKind::internal, "not a multipart operation");
  }
}

}  // namespace haul::gateway
