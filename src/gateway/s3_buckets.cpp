#include "gateway/s3_buckets.hpp"

#include <array>

#include "core/error.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/seal_pipeline.hpp"
#include "s3/api_error.hpp"

namespace haul::gateway {

namespace {

// The native API's first path segments: a bucket of that name could never be
// reached by path-style requests.
constexpr std::array<std::string_view, 6> kReserved = {"v1", "healthz", "readyz", "metrics", "upload", "download"};

bool looks_like_ipv4(std::string_view name) {
  int dots = 0;
  for (char c : name) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

[[noreturn]] void bad_name(std::string_view name, const std::string& why) {
  throw s3::ApiError(400, "InvalidBucketName", "bucket name '" + std::string(name) + "' " + why);
}

}  // namespace

void validate_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) bad_name(name, "must be 3 to 63 characters long");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) bad_name(name, "may hold only lower-case letters, digits, '.' and '-'");
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) bad_name(name, "must start and end with a letter or digit");
  if (name.find("..") != std::string_view::npos) bad_name(name, "must not contain \"..\"");
  // DNS labels: a label neither starts nor ends with '-'.
  if (name.find(".-") != std::string_view::npos || name.find("-.") != std::string_view::npos) {
    bad_name(name, "must not have '-' next to '.'");
  }
  if (looks_like_ipv4(name)) bad_name(name, "must not look like an IP address");
  for (auto reserved : kReserved) {
    if (name == reserved) bad_name(name, "is reserved for haul's native API");
  }
}

std::string bucket_object_key(std::string_view bucket, std::string_view key) {
  std::string full = std::string(bucket) + "/" + std::string(key);
  try {
    store::validate_key(full);
  } catch (const Error& e) {
    if (full.size() > 1024) {
      throw s3::ApiError(400, "KeyTooLongError",
                         "object keys may be at most " + std::to_string(1024 - bucket.size() - 1) +
                             " bytes in this bucket (1024 with the bucket name)");
    }
    throw s3::ApiError(400, "InvalidArgument", "object key not allowed: " + std::string(e.public_message()));
  }
  return full;
}

BucketBook::BucketBook(const Args& args)
    : store_(args.store), keys_(args.keys), store_id_(args.store_id), metrics_(args.metrics) {}

std::string BucketBook::marker_key(std::string_view bucket) const {
  return std::string(kMarkerPrefix) + std::string(bucket);
}

bool BucketBook::exists(std::string_view bucket) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = seen_.find(bucket);
    if (it != seen_.end() && now - it->second < kRemember) return true;
  }
  try {
    store_.head(marker_key(bucket));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::not_found) throw;
    std::lock_guard lock(mutex_);
    if (auto it = seen_.find(bucket); it != seen_.end()) seen_.erase(it);
    return false;
  }
  std::lock_guard lock(mutex_);
  seen_.insert_or_assign(std::string(bucket), now);
  return true;
}

void BucketBook::require(std::string_view bucket) {
  if (!exists(bucket)) throw s3::ApiError(404, "NoSuchBucket", "bucket '" + std::string(bucket) + "' does not exist");
}

void BucketBook::create(std::string_view bucket) {
  validate_bucket_name(bucket);
  if (exists(bucket)) return;
  const std::string key = marker_key(bucket);
  const auto header = crypto::new_header(keys_.newest());
  const auto header_bytes = crypto::encode_header(header);
  crypto::ObjectCipher cipher(keys_, header, {store_id_, key});
  SealPipeline pipe(cipher, store_.create(key, header_bytes), metrics_);
  pipe.commit();
  std::lock_guard lock(mutex_);
  seen_.insert_or_assign(std::string(bucket), std::chrono::steady_clock::now());
}

void BucketBook::remove(std::string_view bucket) {
  require(bucket);
  if (!store_.list(std::string(bucket) + "/", "", 1).entries.empty()) {
    throw s3::ApiError(409, "BucketNotEmpty", "bucket '" + std::string(bucket) + "' still holds objects");
  }
  {
    std::lock_guard lock(mutex_);
    if (auto it = seen_.find(bucket); it != seen_.end()) seen_.erase(it);
  }
  try {
    store_.remove(marker_key(bucket));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::not_found) throw;  // removed meanwhile: the outcome asked for
  }
}

std::vector<BucketInfo> BucketBook::list() {
  std::vector<BucketInfo> buckets;
  std::string after;
  for (;;) {
    auto page = store_.list(kMarkerPrefix, after, 1000);
    for (const auto& e : page.entries) {
      buckets.push_back({e.key.substr(kMarkerPrefix.size()), e.mtime_unix});
    }
    if (!page.next_after) break;
    after = *page.next_after;
  }
  return buckets;
}

}  // namespace haul::gateway
