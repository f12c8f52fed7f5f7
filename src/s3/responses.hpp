#pragma once
// S3 response bodies parsed into plain structs, and the one request body the
// store sends (CompleteMultipartUpload). Sans-IO: text in, values out.
//
// Every parse_* function accepts an <Error> document too and throws
// S3ErrorResponse for it: S3 may answer CompleteMultipartUpload with status
// 200 and an Error body. Malformed XML or missing required fields throw
// Error(backend_unavailable).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace haul::s3 {

struct ErrorResponse {
  std::string code;  // "NoSuchKey", "SlowDown", ...
  std::string message;
  std::string resource;
  std::string request_id;
};

// Thrown for an <Error> document where a result was expected.
class S3ErrorResponse : public Error {
 public:
  explicit S3ErrorResponse(ErrorResponse e)
      : Error(ErrorKind::backend_unavailable, "S3 error " + e.code + ": " + e.message), response(std::move(e)) {}
  ErrorResponse response;
};

struct InitiateMultipartUploadResult {
  std::string bucket;
  std::string key;
  std::string upload_id;
};

struct PartEntry {
  uint32_t part_number = 0;
  std::string etag;  // with its quotes, as S3 sends it
  uint64_t size = 0;
};

struct ListPartsResult {
  std::string upload_id;
  std::vector<PartEntry> parts;
  bool is_truncated = false;
  std::optional<uint32_t> next_part_number_marker;
};

struct ObjectEntry {
  std::string key;
  uint64_t size = 0;
  int64_t mtime_unix = 0;
  std::string etag;
};

// ListObjectsV2.
struct ListBucketResult {
  std::vector<ObjectEntry> contents;
  bool is_truncated = false;
  std::string next_continuation_token;
};

struct UploadEntry {
  std::string key;
  std::string upload_id;
  std::optional<int64_t> initiated_unix;  // <Initiated>, when present and parseable
};

struct ListMultipartUploadsResult {
  std::vector<UploadEntry> uploads;
  bool is_truncated = false;
  std::string next_key_marker, next_upload_id_marker;  // for the next page when truncated
};

// nullopt when the body is not an <Error> document (or not XML at all).
std::optional<ErrorResponse> parse_error(std::string_view body);
InitiateMultipartUploadResult parse_initiate_multipart_upload(std::string_view body);
ListPartsResult parse_list_parts(std::string_view body);
ListBucketResult parse_list_bucket_v2(std::string_view body);
ListMultipartUploadsResult parse_list_multipart_uploads(std::string_view body);
// Succeeds for <CompleteMultipartUploadResult>; throws S3ErrorResponse for <Error>.
void parse_complete_multipart_upload(std::string_view body);

// "2026-11-22T03:14:56.000Z" -> Unix seconds; nullopt when malformed.
std::optional<int64_t> parse_iso8601(std::string_view text);

// <CompleteMultipartUpload> with the given parts, in the order given.
std::string complete_multipart_upload_body(const std::vector<PartEntry>& parts);

}  // namespace haul::s3
