#pragma once
// Which S3 operation a request asks for (sans-IO): method, request-target and
// Host in, bucket, key and operation out. Path style ("/bucket/key") always;
// virtual-host style ("bucket.s3.example.com/key") when the Host ends in the
// gateway's --s3-domain. The native API's paths never get here (route.cpp
// reserves them); their first segments are reserved bucket names too.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace haul::gateway {

enum class S3Op {
  list_buckets,            // GET /
  create_bucket,           // PUT /b
  head_bucket,             // HEAD /b
  delete_bucket,           // DELETE /b
  get_bucket_location,     // GET /b?location
  list_objects_v1,         // GET /b
  list_objects_v2,         // GET /b?list-type=2
  list_object_versions,    // GET /b?versions (no versioning: each object is its one version, "null")
  delete_objects,          // POST /b?delete
  list_multipart_uploads,  // GET /b?uploads
  put_object,              // PUT /b/k
  copy_object,             // PUT /b/k with x-amz-copy-source
  get_object,              // GET /b/k
  head_object,             // HEAD /b/k
  get_object_attributes,   // GET /b/k?attributes
  delete_object,           // DELETE /b/k
  create_multipart,        // POST /b/k?uploads
  upload_part,             // PUT /b/k?partNumber=N&uploadId=U
  upload_part_copy,        // the same with x-amz-copy-source
  complete_multipart,      // POST /b/k?uploadId=U
  abort_multipart,         // DELETE /b/k?uploadId=U
  list_parts,              // GET /b/k?uploadId=U
  unsupported,             // a sub-resource haul does not offer (?acl, ?versioning, ...): 501 NotImplemented
  method_not_allowed,      // e.g. POST /b/k without ?uploads or ?uploadId
};

struct S3Target {
  S3Op op = S3Op::unsupported;
  std::string bucket;                        // "" for list_buckets
  std::string key;                           // decoded; "" for bucket operations
  std::map<std::string, std::string> query;  // decoded; valueless names map to ""
  std::string detail;                        // for unsupported: the sub-resource named
};

// domain: the --s3-domain ("" when virtual-host style is off). host: the
// Host header (a port is ignored). has_copy_source: the request carries
// x-amz-copy-source. Throws s3::ApiError (400 InvalidURI) for an undecodable
// path or query, (400 InvalidArgument) for a versionId other than "null"
// (haul keeps no versions; "null" names the one every object has).
S3Target parse_s3_target(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view domain, bool has_copy_source);

// x-amz-copy-source: "bucket/key" or "/bucket/key", percent-encoded, maybe
// with "?versionId=..." (haul keeps no versions: only "null" is accepted).
// Throws s3::ApiError(400, InvalidArgument) when it names no bucket and key.
struct CopySource {
  std::string bucket;
  std::string key;
};
CopySource parse_copy_source(std::string_view header);

// x-amz-copy-source-range: "bytes=FIRST-LAST" (both given, FIRST <= LAST),
// or 400 InvalidArgument.
struct CopyRange {
  uint64_t first = 0;
  uint64_t last = 0;
};
CopyRange parse_copy_source_range(std::string_view header);

// The readable name of an operation, for logs and error messages ("PutObject").
std::string_view s3_op_name(S3Op op);

}  // namespace haul::gateway
