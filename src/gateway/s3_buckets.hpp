#pragma once
// Buckets of the S3 API. A bucket is a key prefix of the gateway's default
// store: object KEY of bucket B is the store (and native API) key "B/KEY", so
// one object reads the same through /v1/objects/B/KEY and the S3 API. A
// bucket exists when its marker object ".haul-s3-buckets/B" does (created by
// CreateBucket, an empty sealed object whose mtime is the CreationDate);
// bucket names cannot start with '.', so no bucket's objects collide with
// the markers. Calls block (store I/O): run them on the blocking pool.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keyring.hpp"
#include "store/store.hpp"

namespace haul::gateway {

class Metrics;

struct BucketInfo {
  std::string name;
  int64_t created_unix = 0;
};

// S3's bucket naming rules (3..63 of a-z 0-9 . -, starting and ending with a
// letter or digit, no "..", ".-" or "-.", not an IP address) plus haul's reserved names
// (the native API's first path segments). Throws s3::ApiError(400, InvalidBucketName).
void validate_bucket_name(std::string_view name);

// The store key of an object of a bucket ("B/KEY"). Throws s3::ApiError
// (400 KeyTooLongError, or InvalidArgument naming the rule) when the key is
// not one the store takes (store::validate_key).
std::string bucket_object_key(std::string_view bucket, std::string_view key);

class BucketBook {
 public:
  // Where buckets live: a store, what its objects are sealed with, and the
  // store id bound into them. References must outlive the book.
  struct Args {
    store::Store& store;
    const crypto::Keyring& keys;
    std::string store_id;
    Metrics& metrics;
  };
  explicit BucketBook(const Args& args);

  // Whether the bucket exists. A bucket seen recently is answered from memory
  // (an object request then costs no extra store round trip); a miss always
  // asks the store, so a bucket made by another gateway on the same store is
  // found at once. A deletion elsewhere is noticed within kRemember.
  bool exists(std::string_view bucket);
  // Throws s3::ApiError(404 NoSuchBucket) unless it exists.
  void require(std::string_view bucket);
  // Creates the bucket; one that exists already is left as it is, with its
  // objects. Every key of the gateway is one owner, and S3 in us-east-1
  // (and RGW) answer the owner's repeated CreateBucket with success.
  // Throws 400 InvalidBucketName.
  void create(std::string_view bucket);
  // Throws 404 NoSuchBucket, 409 BucketNotEmpty.
  void remove(std::string_view bucket);
  // Every bucket, sorted by name.
  std::vector<BucketInfo> list();

  static constexpr std::chrono::seconds kRemember{30};
  static constexpr std::string_view kMarkerPrefix = ".haul-s3-buckets/";

 private:
  std::string marker_key(std::string_view bucket) const;

  store::Store& store_;
  const crypto::Keyring& keys_;
  std::string store_id_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> seen_;
};

}  // namespace haul::gateway
