#pragma once
// What the S3 API shares across requests: the access keys (swapped whole on
// SIGHUP, like the token table: a request keeps the table it started with)
// and the buckets. Exists only when --s3-credentials-file is given.

#include <atomic>
#include <memory>
#include <mutex>

#include "gateway/s3_buckets.hpp"
#include "s3/credentials_file.hpp"

namespace haul::gateway {

class S3State {
 public:
  S3State(s3::S3Credentials credentials, const BucketBook::Args& where)
      : credentials_(std::make_shared<const s3::S3Credentials>(std::move(credentials))), buckets(where) {}

  std::shared_ptr<const s3::S3Credentials> credentials() const {
    std::lock_guard lock(mutex_);
    return credentials_;
  }
  void replace(s3::S3Credentials next) {
    auto table = std::make_shared<const s3::S3Credentials>(std::move(next));
    std::lock_guard lock(mutex_);
    credentials_ = std::move(table);
  }
  // "0000000000000001": unique per gateway run, in every answer (x-amz-request-id).
  uint64_t next_request_id() { return request_ids_.fetch_add(1, std::memory_order_relaxed) + 1; }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const s3::S3Credentials> credentials_;
  std::atomic<uint64_t> request_ids_{0};

 public:
  BucketBook buckets;
};

}  // namespace haul::gateway
