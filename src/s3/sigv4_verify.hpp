#pragma once
// Server side of AWS Signature V4 for the S3 front, sans-IO: the request
// line and headers as received plus a clock reading in; who signed it (or an
// ApiError with S3's status and code) out. No body: the payload hash is
// checked by the caller as the body streams (payload == sha256), or by
// AwsChunkedDecoder (s3/aws_chunked.hpp) for aws-chunked bodies, using
// `chunks`. Body bytes are not authenticated until that check passes.
//
// Both forms S3 accepts:
//   header auth:  Authorization: AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,
//                 SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=<64 hex>
//   presigned:    ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...&X-Amz-Date=...
//                 &X-Amz-Expires=...&X-Amz-SignedHeaders=host&X-Amz-Signature=...
// The canonical request is rebuilt from the raw request-target with the
// client-side signer's functions (s3/sigv4.hpp), so signer and verifier
// cannot drift apart. Any region is accepted and returned: the gateway is
// not bound to one.
//
// Errors, as S3 answers them (status, code):
//   400 AuthorizationHeaderMalformed      Authorization unparsable, bad credential scope, "host" not signed
//   400 AuthorizationQueryParametersError presigned parameter missing or malformed, X-Amz-Expires outside 1..604800
//   400 InvalidRequest    another algorithm (AWS v2 "AWS AK:sig", ?Signature=), x-amz-content-sha256 missing
//                         (header auth) or streaming with a presigned URL
//   400 InvalidArgument   bad x-amz-content-sha256 value, both header and query auth, bad %XX in the query
//   403 InvalidAccessKeyId            unknown access key
//   403 AccessDenied      no usable X-Amz-Date/Date, presigned URL expired ("Request has expired") or dated
//                         more than 15 min ahead ("Request is not valid yet", as S3 does for query auth),
//                         an x-amz-* header present but not signed
//   403 RequestTimeTooSkewed          header auth dated more than 15 min from now
//   403 SignatureDoesNotMatch         wrong signature, or a signed header missing from the request

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/sha256.hpp"
#include "s3/credentials_file.hpp"

namespace haul::s3 {

struct IncomingRequest {
  std::string method;
  std::string target;  // raw request-target as received: "/bucket/a%20b?list-type=2&prefix=x"
  // Names as received (matched case-insensitively), values as received.
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the aws-chunked decoder needs to check chunk and trailer signatures.
struct ChunkSigningContext {
  crypto::Digest signing_key{};  // derived from secret, date, region and "s3"; not the secret itself
  std::string scope;             // "20130524/us-east-1/s3/aws4_request"
  std::string amz_date;          // "20130524T000000Z"
  std::string seed_signature;    // the request's own signature (hex): chunk 1 chains from it
};

struct VerifiedRequest {
  enum class Payload {
    sha256,
    unsigned_payload,
    streaming_signed,
    streaming_signed_trailer,
    streaming_unsigned_trailer
  };

  std::string access_key;
  const S3Credential* credential = nullptr;  // points into the S3Credentials passed in
  std::string region;
  Payload payload = Payload::unsigned_payload;
  // Lower-case hex when payload == sha256: the body must hash to it; the
  // caller checks as it streams and answers 400 XAmzContentSHA256Mismatch.
  std::string payload_sha256;
  ChunkSigningContext chunks;  // filled for streaming_signed and streaming_signed_trailer
  bool presigned = false;
};

// Which authentication a request carries, without checking it: cheap
// enough for every request. `unsupported` (AWS v2, an unknown algorithm) is
// not anonymous: verify_sigv4 answers it with 400 InvalidRequest.
enum class AuthKind { anonymous, header, presigned, unsupported };
AuthKind auth_kind(const IncomingRequest& request);
inline bool is_sigv4_request(const IncomingRequest& request) {
  AuthKind kind = auth_kind(request);
  return kind == AuthKind::header || kind == AuthKind::presigned;
}

inline constexpr int64_t kMaxClockSkewSeconds = 15 * 60;
inline constexpr int64_t kMaxPresignedExpiresSeconds = 7 * 24 * 3600;

// Throws ApiError (see the table above) unless the request carries a valid
// SigV4 signature by a key in `credentials`. Bucket limits are the caller's
// to apply (credential->allows(bucket)): only it knows the addressing style.
VerifiedRequest verify_sigv4(const IncomingRequest& request, const S3Credentials& credentials, int64_t now_unix);

// Building blocks shared with the aws-chunked decoder and tests.
// The first header called `name` (compared case-insensitively), or nullptr.
const std::string* find_header(const IncomingRequest& request, std::string_view name);
// `text` in ASCII lower case.
std::string ascii_lower(std::string_view text);
// kSigning = HMAC chain over "AWS4" + secret, date (yyyymmdd), region, service, "aws4_request".
crypto::Digest signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                           std::string_view service);
// hex(HMAC-SHA256(key, string_to_sign)).
std::string sign_with_key(const crypto::Digest& key, std::string_view string_to_sign);
// Constant-time comparison of a computed hex signature with a presented one.
bool signature_matches(std::string_view computed_hex, std::string_view presented);
// "20130524T000000Z" -> Unix seconds; nullopt unless exactly that shape and a real date.
std::optional<int64_t> parse_amz_date(std::string_view text);
// RFC 1123 "Fri, 24 May 2013 00:00:00 GMT" -> Unix seconds; nullopt otherwise.
std::optional<int64_t> parse_rfc1123_date(std::string_view text);

}  // namespace haul::s3
