#pragma once
// What the S3 API shares across requests: the access keys (swapped whole on
// SIGHUP, like the token table: a request keeps the table it started with)
// and the buckets. Exists only when --s3-credentials-file is given.

#include <atomic>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
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

  // S3 ETags by stored version. The S3 ETag lives in the trailer, at the
  // object's end, but a GET must send it before the body: remembering it
  // per version (store key + the native ETag, which derives from the
  // version's random salt) lets a GET of an object this gateway wrote, read
  // or listed be one store read, not a trailer read and then the range.
  // A version never changes, so an entry is never stale; the oldest go
  // first beyond kRememberedEtags.
  std::optional<std::string> remembered_etag(const std::string& store_key, const std::string& native_etag) const {
    std::lock_guard lock(mutex_);
    auto it = etags_.find(store_key + '\n' + native_etag);
    if (it == etags_.end()) return std::nullopt;
    return it->second;
  }
  void remember_etag(const std::string& store_key, const std::string& native_etag, std::string s3_etag) {
    std::string id = store_key + '\n' + native_etag;
    std::lock_guard lock(mutex_);
    if (!etags_.insert_or_assign(id, std::move(s3_etag)).second) return;
    order_.push_back(std::move(id));
    if (order_.size() > kRememberedEtags) {
      etags_.erase(order_.front());
      order_.pop_front();
    }
  }
  static constexpr size_t kRememberedEtags = 100000;  // ~20 MB at most

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const s3::S3Credentials> credentials_;
  std::atomic<uint64_t> request_ids_{0};
  std::unordered_map<std::string, std::string> etags_;  // under mutex_
  std::deque<std::string> order_;                       // insertion order of etags_

 public:
  BucketBook buckets;
};

}  // namespace haul::gateway
