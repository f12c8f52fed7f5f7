#pragma once
// Request-target helpers: percent-decoding of paths, query parsing and path
// encoding (RFC 3986), sans-IO.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace haul::http {

// Decodes %XX (either hex case). '+' stays '+' (it means space only in
// query strings). nullopt on a '%' not followed by two hex digits. "%00"
// decodes to a NUL byte: callers that build file names must reject it (the
// store's key validation does).
std::optional<std::string> percent_decode(std::string_view s);

// Parses "a=1&b=two+words&c" (the part after '?', without the '?') into a map.
// Names and values are percent-decoded with '+' as space; a name without '='
// maps to "". Empty elements ("a=1&&b=2") are skipped. For a repeated name
// the FIRST occurrence wins (later duplicates are ignored), so a value cannot
// be overridden by appending to a URL. Throws Error(bad_request) on bad %XX.
std::map<std::string, std::string> parse_query(std::string_view query);

// Splits a request-target "/path?query" at the first '?' into {path, query}
// (query without the '?'; empty when absent). No decoding.
struct TargetParts {
  std::string_view path;
  std::string_view query;
};
TargetParts split_target(std::string_view target);

// Encodes every byte except unreserved characters (ALPHA DIGIT - . _ ~) and
// '/' as %XX (upper-case hex): the inverse of percent_decode for a key.
std::string percent_encode_path(std::string_view s);
// The same, keeping '/' only when keep_slash (RFC 3986 unreserved set; the
// encoding SigV4 and query strings use too).
std::string percent_encode(std::string_view s, bool keep_slash);

}  // namespace haul::http
