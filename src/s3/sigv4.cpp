#include "s3/sigv4.hpp"

#include "http/url.hpp"

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/utc_time.hpp"
#include "crypto/sha256.hpp"

namespace haul::s3 {
namespace {

using crypto::as_bytes;
using crypto::Digest;

Digest hmac(std::span<const uint8_t> key, std::string_view data) {
  return crypto::hmac_sha256(key, as_bytes(data));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Header values are trimmed and inner runs of spaces collapse to one.
std::string trim_value(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// Headers as sorted lower-case names; duplicate names join their values with ','.
std::vector<std::pair<std::string, std::string>> canonical_headers(const SigningRequest& r) {
  std::vector<std::pair<std::string, std::string>> hs;
  for (const auto& [name, value] : r.headers) hs.emplace_back(lower(name), trim_value(value));
  std::stable_sort(hs.begin(), hs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& h : hs) {
    if (!merged.empty() && merged.back().first == h.first) {
      merged.back().second += "," + h.second;
    } else {
      merged.push_back(std::move(h));
    }
  }
  return merged;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  return http::percent_encode(text, keep_slash);
}

std::string amz_date(int64_t unix_seconds) {
  return format_utc(unix_seconds, "%Y%m%dT%H%M%SZ");
}

std::string signed_headers(const SigningRequest& request) {
  std::string out;
  for (const auto& [name, value] : canonical_headers(request)) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string canonical_request(const SigningRequest& request) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [name, value] : request.query) q.emplace_back(uri_encode(name, false), uri_encode(value, false));
  std::sort(q.begin(), q.end());
  std::string query;
  for (const auto& [name, value] : q) {
    if (!query.empty()) query += '&';
    query += name + "=" + value;
  }
  std::string headers;
  for (const auto& [name, value] : canonical_headers(request)) headers += name + ":" + value + "\n";
  return request.method + "\n" + (request.canonical_uri.empty() ? "/" : request.canonical_uri) + "\n" + query + "\n" +
         headers + "\n" + signed_headers(request) + "\n" + request.payload_hash;
}

std::string string_to_sign(const SigningScope& scope, std::string_view canonical) {
  return "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + scope.amz_date.substr(0, 8) + "/" + scope.region + "/" +
         scope.service + "/aws4_request\n" + crypto::sha256_hex(canonical);
}

std::string signature(const Credentials& credentials, const SigningScope& scope, std::string_view to_sign) {
  std::string secret = "AWS4" + credentials.secret_key;
  Digest k = hmac(as_bytes(secret), scope.amz_date.substr(0, 8));
  k = hmac(k, scope.region);
  k = hmac(k, scope.service);
  k = hmac(k, "aws4_request");
  return to_hex(hmac(k, to_sign));
}

std::string authorization(const Credentials& credentials, const SigningScope& scope, const SigningRequest& request) {
  if (scope.amz_date.size() != 16) throw Error(ErrorKind::internal, "SigV4: amz_date must look like 20150830T123600Z");
  std::string to_sign = string_to_sign(scope, canonical_request(request));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + scope.amz_date.substr(0, 8) + "/" +
         scope.region + "/" + scope.service + "/aws4_request, SignedHeaders=" + signed_headers(request) +
         ", Signature=" + signature(credentials, scope, to_sign);
}

}  // namespace haul::s3
