#pragma once
// ListObjects (V1) and ListObjectsV2 as S3 computes them, sans-IO: the query
// parameters in, a page source to read keys from, the listing out. The
// gateway calls parse_list_query, then list_objects over its store, then
// list_objects_result (s3/server_xml.hpp).
//
// Semantics (S3's): entries come in bytewise key order; with a delimiter,
// every key that contains it after the prefix rolls up into one common prefix
// (prefix + text up to and including the first delimiter), which counts once
// toward max-keys in its sorted position; a listing resumes strictly after
// the marker / start-after / continuation token, and resuming after a common
// prefix skips every key under it.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haul::s3 {

inline constexpr size_t list_max_keys = 1000;  // S3 answers at most this many, whatever max-keys says

struct ListQuery {
  bool v2 = false;  // list-type=2
  std::string prefix, delimiter;
  size_t max_keys = list_max_keys;       // 0 is allowed: an empty, untruncated listing
  std::string marker;                    // V1
  std::string start_after;               // V2
  std::string continuation_token;        // V2, as the client sent it (opaque; validated by parse_list_query)
  bool continuation_token_sent = false;  // V2: the parameter was there (an empty one lists from the start)
  bool url_encoding = false;             // encoding-type=url
  bool fetch_owner = false;              // V2 fetch-owner=true (V1 always lists owners)
};

// Reads list-type, prefix, delimiter, max-keys, marker, start-after,
// continuation-token, encoding-type and fetch-owner (values already
// percent-decoded). Throws ApiError(400, "InvalidArgument") for a max-keys
// that is not a non-negative integer, an encoding-type other than "url" or a
// non-empty continuation token this gateway did not issue (an empty one is
// no token, and is echoed back empty, as S3 and RGW do). max-keys above 1000 is
// capped to 1000, as S3 does.
ListQuery parse_list_query(const std::map<std::string, std::string>& query_params);

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  int64_t mtime_unix = 0;
  std::string etag;  // without quotes; rendered quoted
};

// Returns up to limit objects with key > start_after that start with the
// query's prefix, sorted by key (bytewise). Fewer than limit means the end.
// start_after may be any byte string (see list_objects on "\xFF").
using PageSource = std::function<std::vector<ListedObject>(std::string_view start_after, size_t limit)>;

struct ListResult {
  std::vector<ListedObject> contents;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_marker;              // when truncated: the last key or common prefix listed (V1 sends
                                        // it as NextMarker only with a delimiter; versions as NextKeyMarker)
  std::string next_continuation_token;  // V2: set when truncated
  size_t key_count = 0;                 // contents + common prefixes
};

// Throws ApiError(400, "InvalidArgument") for a bad continuation token;
// whatever the source throws passes through.
ListResult list_objects(const ListQuery& query, const PageSource& source);

// The continuation token for resuming after `last` (a key or common prefix),
// and back; decode returns nullopt for a token not made by encode.
std::string encode_continuation_token(std::string_view last);
std::optional<std::string> decode_continuation_token(std::string_view token);

}  // namespace haul::s3
