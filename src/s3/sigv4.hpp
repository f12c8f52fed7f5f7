#pragma once
// AWS Signature Version 4 as pure functions (sans-IO): a request description
// and a clock reading in, the Authorization header out. No network, no clock
// of its own, so it is tested with AWS's published test-suite vectors.
//
// S3 flavour: the canonical URI is the path exactly as sent (already
// URI-encoded once; S3 does not double-encode or normalize paths).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haul::s3 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty unless temporary credentials
};

// One request to sign. Query parameters and header values are raw (not
// encoded); headers must include "host" and "x-amz-date". Every header given
// here is signed.
struct SigningRequest {
  std::string method;         // "GET"
  std::string canonical_uri;  // encoded path as sent, "/bucket/a%20b"
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigningScope {
  std::string amz_date;  // "20150830T123600Z"
  std::string region;    // "us-east-1"
  std::string service;   // "s3"
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved A-Z a-z 0-9 - . _ ~
// stay, everything else becomes %XY (upper-case hex). '/' stays when
// keep_slash (paths) and is encoded otherwise (query names and values).
std::string uri_encode(std::string_view text, bool keep_slash);

// "20150830T123600Z" for a Unix time (UTC).
std::string amz_date(int64_t unix_seconds);

// The three steps of the algorithm, exposed for tests.
std::string canonical_request(const SigningRequest& request);
std::string signed_headers(const SigningRequest& request);  // "host;x-amz-date"
std::string string_to_sign(const SigningScope& scope, std::string_view canonical);
std::string signature(const Credentials& credentials, const SigningScope& scope, std::string_view to_sign);

// The full Authorization header value:
// "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=..., Signature=..."
std::string authorization(const Credentials& credentials, const SigningScope& scope, const SigningRequest& request);

}  // namespace haul::s3
