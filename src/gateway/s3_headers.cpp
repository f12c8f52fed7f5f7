#include "gateway/s3_headers.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include "core/utc_time.hpp"
#include "http/ows.hpp"
#include "s3/api_error.hpp"

namespace haul::gateway {

namespace {

struct StoredHeader {
  std::string_view lower;     // as stored
  std::string_view spelled;   // as answered
  std::string_view override;  // GetObject's response-* query parameter
};

constexpr std::array<StoredHeader, 6> kStored = {{
    {"cache-control", "Cache-Control", "response-cache-control"},
    {"content-disposition", "Content-Disposition", "response-content-disposition"},
    {"content-encoding", "Content-Encoding", "response-content-encoding"},
    {"content-language", "Content-Language", "response-content-language"},
    {"content-type", "Content-Type", "response-content-type"},
    {"expires", "Expires", "response-expires"},
}};

constexpr size_t kMaxUserMetadata = 2048;  // S3's limit on x-amz-meta-* names and values
constexpr std::string_view kUserPrefix = "x-amz-meta-";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  return http::trim_ows(s);
}

// An entity tag list ("*", or "\"a\", W/\"b\"") matches etag (strong
// comparison for If-Match, weak for If-None-Match; S3 ETags are never weak,
// so both compare the opaque part).
bool etag_list_matches(std::string_view list, std::string_view etag) {
  if (trim(list) == "*") return true;
  // Clients send the tag with or without its quotes.
  auto unquote = [](std::string_view s) {
    return s.size() >= 2 && s.front() == '"' && s.back() == '"' ? s.substr(1, s.size() - 2) : s;
  };
  for (std::string_view item : http::list_elements(list)) {
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (unquote(item) == unquote(etag)) return true;
  }
  return false;
}

// Content-Encoding without "aws-chunked": that token names the request's
// framing (SigV4 streaming), not the object's encoding, and S3 does not
// store it ("gzip, aws-chunked" is stored as "gzip").
std::string without_aws_chunked(std::string_view value) {
  std::string out;
  for (std::string_view token : http::list_elements(value)) {
    if (lower(token) == "aws-chunked") continue;
    if (!out.empty()) out += ", ";
    out += token;
  }
  return out;
}

}  // namespace

MetadataPairs metadata_from_request(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::map<std::string, std::string> kept;
  size_t user_bytes = 0;
  for (const auto& [name, value] : headers) {
    std::string n = lower(name);
    const bool known = std::any_of(kStored.begin(), kStored.end(), [&](const auto& h) { return h.lower == n; });
    const bool user = n.size() > kUserPrefix.size() && n.starts_with(kUserPrefix);
    if (!known && !user) continue;
    std::string v(trim(value));
    if (n == "content-encoding") {
      v = without_aws_chunked(v);
      if (v.empty()) continue;
    }
    if (user) user_bytes += n.size() - kUserPrefix.size() + v.size();
    auto [it, fresh] = kept.try_emplace(n, v);
    if (!fresh) {
      if (!user) continue;  // a repeated Content-Type: the first wins, like Beast's lookup
      it->second += "," + v;
      user_bytes += 1;
    }
  }
  if (user_bytes > kMaxUserMetadata) {
    throw s3::ApiError(400, "MetadataTooLarge",
                       "user metadata (x-amz-meta-*) is " + std::to_string(user_bytes) + " bytes, over the " +
                           std::to_string(kMaxUserMetadata) + " allowed");
  }
  return {kept.begin(), kept.end()};
}

std::vector<std::pair<std::string, std::string>> metadata_response_headers(
    const MetadataPairs& metadata, const std::map<std::string, std::string>& query) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : kStored) {
    std::optional<std::string> value;
    for (const auto& [n, v] : metadata) {
      if (n == h.lower) value = v;
    }
    if (auto q = query.find(std::string(h.override)); q != query.end()) value = q->second;
    if (!value && h.lower == "content-type") value = "binary/octet-stream";
    if (value) out.emplace_back(std::string(h.spelled), *value);
  }
  for (const auto& [n, v] : metadata) {
    if (n.starts_with(kUserPrefix)) out.emplace_back(n, v);
  }
  return out;
}

std::optional<int> evaluate_conditions(std::string_view if_match, std::string_view if_none_match,
                                       std::string_view if_modified_since, std::string_view if_unmodified_since,
                                       std::string_view method, std::string_view etag, int64_t mtime_unix) {
  const bool read = method == "GET" || method == "HEAD";
  if (!if_match.empty()) {
    if (!etag_list_matches(if_match, etag)) return 412;
  } else if (auto since = parse_http_date(if_unmodified_since); since && mtime_unix > *since) {
    return 412;
  }
  if (!if_none_match.empty()) {
    if (etag_list_matches(if_none_match, etag)) return read ? 304 : 412;
  } else if (auto since = parse_http_date(if_modified_since); read && since && mtime_unix <= *since) {
    return 304;
  }
  return std::nullopt;
}

std::string http_date(int64_t unix_seconds) {
  return format_utc(unix_seconds, "%a, %d %b %Y %H:%M:%S GMT");
}

std::optional<int64_t> parse_http_date(std::string_view text) {
  text = trim(text);
  if (text.size() != 29 || !text.ends_with(" GMT")) return std::nullopt;
  std::tm tm{};
  const std::string copy(text);
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::string iso8601_date(int64_t unix_seconds) {
  return format_utc(unix_seconds, "%Y-%m-%dT%H:%M:%S.000Z");
}

}  // namespace haul::gateway
