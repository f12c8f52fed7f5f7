#pragma once
// The header rules of S3 object requests (sans-IO): which request headers
// are stored with an object, how they come back (with the response-*
// overrides of GetObject), and the conditional headers (If-Match,
// If-None-Match, If-Modified-Since, If-Unmodified-Since).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haul::gateway {

using MetadataPairs = std::vector<std::pair<std::string, std::string>>;

// Content-Type, Content-Encoding, Content-Disposition, Content-Language,
// Cache-Control, Expires and every x-amz-meta-* header, names in lower case,
// sorted (the order the format stores them in). A repeated x-amz-meta-*
// name joins its values with ',' as HTTP does. User metadata (names and
// values of x-amz-meta-*) over 2 KiB throws s3::ApiError(400, MetadataTooLarge),
// as S3 does.
MetadataPairs metadata_from_request(const std::vector<std::pair<std::string, std::string>>& headers);

// The response headers for stored metadata: names in their usual spelling
// ("Content-Type", "x-amz-meta-color"); Content-Type defaults to
// binary/octet-stream as S3's does. query: GetObject's response-content-type,
// response-content-language, response-expires, response-cache-control,
// response-content-disposition and response-content-encoding replace the
// stored values.
std::vector<std::pair<std::string, std::string>> metadata_response_headers(
    const MetadataPairs& metadata, const std::map<std::string, std::string>& query = {});

// What the conditional request headers decide for an object with this ETag
// (quoted) and mtime: 304 Not Modified, 412 Precondition Failed, or nullopt
// to serve it. RFC 7232 section 6 order: If-Match, then If-Unmodified-Since
// (only without If-Match), then If-None-Match, then If-Modified-Since (only
// without If-None-Match; GET and HEAD only). Unparsable dates are ignored,
// as RFC 7232 says. `header` returns "" for an absent header.
template <class HeaderFn>
std::optional<int> evaluate_conditions(const HeaderFn& header, std::string_view method, std::string_view etag,
                                       int64_t mtime_unix);
std::optional<int> evaluate_conditions(std::string_view if_match, std::string_view if_none_match,
                                       std::string_view if_modified_since, std::string_view if_unmodified_since,
                                       std::string_view method, std::string_view etag, int64_t mtime_unix);

template <class HeaderFn>
std::optional<int> evaluate_conditions(const HeaderFn& header, std::string_view method, std::string_view etag,
                                       int64_t mtime_unix) {
  return evaluate_conditions(header("if-match"), header("if-none-match"), header("if-modified-since"),
                             header("if-unmodified-since"), method, etag, mtime_unix);
}

// "Sat, 05 Dec 2026 21:30:00 GMT" (RFC 7231 IMF-fixdate) and back; the
// parser takes IMF-fixdate only and says nullopt otherwise.
std::string http_date(int64_t unix_seconds);
std::optional<int64_t> parse_http_date(std::string_view text);
// "2026-12-05T21:30:00.000Z", what S3 XML documents carry.
std::string iso8601_date(int64_t unix_seconds);

}  // namespace haul::gateway
