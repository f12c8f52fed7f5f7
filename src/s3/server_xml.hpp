#pragma once
// The S3 server's XML, sans-IO: response documents rendered from plain
// structs, and the three request bodies a client sends parsed into values.
// (s3/responses.hpp is the other direction: haul as the client of a backend.)
//
// Rendering: every document starts with the XML prolog and carries S3's
// namespace (except <Error>, which S3 sends without one); all text goes
// through xml_escape. Times are Unix seconds, rendered as
// "2026-12-05T21:30:00.000Z". ETags are stored without quotes and rendered
// quoted ("&quot;...&quot;" after escaping).
//
// Parsing: bodies are untrusted. Any malformed or unexpected document throws
// ApiError(400, "MalformedXML"), never anything else.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/listing.hpp"

namespace haul::s3 {

inline constexpr std::string_view s3_xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

// ---- helpers ----

// "2026-12-05T21:30:00.000Z".
std::string iso8601(int64_t unix_seconds);
// The value as S3 writes it with encoding-type=url: RFC 3986 percent-encoding
// of every byte but A-Z a-z 0-9 - . _ ~ and '/' (so '+' is %2B and a space
// %20: what both unquote and unquote_plus decode back).
std::string url_encode_value(std::string_view text);
// An ETag as a client sends it back ("\"abc\"", "abc", " \"abc\" ") without
// its quotes and surrounding spaces.
std::string normalize_etag(std::string_view etag);

// ---- response documents ----

struct Owner {
  std::string id;
  std::string display_name;
};

std::string error_document(std::string_view code, std::string_view message, std::string_view resource,
                           std::string_view request_id);

struct BucketEntry {
  std::string name;
  int64_t creation_unix = 0;
};
// continuation_token: set when the list was cut at max-buckets (where the
// next page starts); prefix: echoed when the request named one.
std::string list_all_my_buckets_result(const Owner& owner, const std::vector<BucketEntry>& buckets,
                                       std::string_view continuation_token = {}, std::string_view prefix = {});

// ListBucketResult, V1 or V2 after query.v2. owner is listed in each Contents
// for V1, and for V2 when query.fetch_owner.
std::string list_objects_result(std::string_view bucket, const ListQuery& query, const ListResult& result,
                                const Owner& owner);

// ListVersionsResult for a bucket without versioning: every object is its
// one version, "null", and the latest. query is a V1 one whose marker is the
// key-marker (a version-id-marker can only be "null": after that key).
std::string list_versions_result(std::string_view bucket, const ListQuery& query, const ListResult& result,
                                 const Owner& owner);

// GetObjectAttributes' answer, with the attributes asked for (names as in
// x-amz-object-attributes: ETag, Checksum, ObjectParts, StorageClass,
// ObjectSize). parts_count: the multipart part count (0: not multipart, no
// <ObjectParts>); checksums: stored x-amz-checksum-* as (element name, value),
// e.g. ("ChecksumSHA256", base64).
struct ObjectAttributes {
  std::string etag;  // without quotes, as S3 answers it here
  uint64_t size = 0;
  uint32_t parts_count = 0;
  std::vector<std::pair<std::string, std::string>> checksums;
};
std::string get_object_attributes_result(const ObjectAttributes& attributes, const std::vector<std::string>& asked);

// GetBucketLocation: empty for us-east-1 (and an empty region), as S3 answers.
std::string location_constraint(std::string_view region);

// CopyObject's <CopyObjectResult> and UploadPartCopy's <CopyPartResult>.
std::string copy_object_result(std::string_view etag, int64_t mtime_unix);
std::string copy_part_result(std::string_view etag, int64_t mtime_unix);

std::string initiate_multipart_upload_result(std::string_view bucket, std::string_view key, std::string_view upload_id);
std::string complete_multipart_upload_result(std::string_view location, std::string_view bucket, std::string_view key,
                                             std::string_view etag);

struct ListedPart {
  uint32_t part_number = 0;
  int64_t mtime_unix = 0;
  std::string etag;  // without quotes
  uint64_t size = 0;
};
struct PartsListing {
  std::string bucket, key, upload_id;
  uint32_t part_number_marker = 0;
  std::optional<uint32_t> next_part_number_marker;  // when truncated
  uint32_t max_parts = 1000;
  bool is_truncated = false;
  std::vector<ListedPart> parts;
};
std::string list_parts_result(const PartsListing& listing);

struct ListedUpload {
  std::string key;
  std::string upload_id;
  int64_t initiated_unix = 0;
};
struct UploadsListing {
  std::string bucket;
  std::string key_marker, upload_id_marker;
  std::string next_key_marker, next_upload_id_marker;  // when truncated
  std::string prefix, delimiter;
  uint32_t max_uploads = 1000;
  bool is_truncated = false;
  bool url_encoding = false;  // encoding-type=url: KeyMarker, NextKeyMarker, Prefix, Delimiter, Key encoded
  std::vector<ListedUpload> uploads;
  std::vector<std::string> common_prefixes;
};
std::string list_multipart_uploads_result(const UploadsListing& listing);

// One object of a multi-object delete: deleted when code is empty.
struct DeleteOutcome {
  std::string key;
  std::string code;  // S3 error code ("AccessDenied", "InternalError")
  std::string message;
};
// quiet: only the errors are listed (S3's <Quiet>true</Quiet>).
std::string delete_result(const std::vector<DeleteOutcome>& outcomes, bool quiet);

// ---- request bodies ----

// CreateBucket's optional <CreateBucketConfiguration>: the LocationConstraint,
// empty when the body is empty (only spaces) or names none.
std::string parse_create_bucket_configuration(std::string_view body);

inline constexpr size_t delete_max_objects = 1000;
// One object of a multi-object delete, with the conditions S3 (directory
// buckets) and RGW take on it: the object is removed only when, as it is,
// it matches every one given.
struct ObjectToDelete {
  std::string key;
  std::string etag;                      // <ETag>, normalized; "" when not given, "*" matches any
  std::optional<int64_t> last_modified;  // <LastModifiedTime> (ISO 8601), Unix seconds
  std::optional<uint64_t> size;          // <Size>
};
struct DeleteRequest {
  bool quiet = false;
  std::vector<ObjectToDelete> objects;  // in document order; 1..1000, no key empty
};
// <Delete><Quiet>true</Quiet><Object><Key>k</Key><VersionId/></Object>...</Delete>.
// VersionId is accepted and ignored (haul keeps no versions); ETag,
// LastModifiedTime and Size are read as conditions.
DeleteRequest parse_delete_request(std::string_view body);

inline constexpr uint32_t max_part_number = 10000;
struct CompletedPart {
  uint32_t part_number = 0;  // 1..10000
  std::string etag;          // normalized (normalize_etag): quotes stripped
};
// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"…"</ETag></Part>…
// Parts in document order (1..10000 of them): the caller checks they ascend
// (InvalidPartOrder) and match the uploaded parts (InvalidPart). Checksum
// elements are ignored.
std::vector<CompletedPart> parse_complete_multipart_upload_request(std::string_view body);

}  // namespace haul::s3
