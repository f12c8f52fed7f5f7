#include "s3/sigv4_verify.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>

#include "core/hex.hpp"
#include "http/ows.hpp"
#include "http/url.hpp"
#include "s3/api_error.hpp"
#include "s3/sigv4.hpp"

namespace haul::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsigned = "UNSIGNED-PAYLOAD";

using Params = std::vector<std::pair<std::string, std::string>>;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  return ascii_lower(s);
}

const std::string* find_param(const Params& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return &v;
  }
  return nullptr;
}

// "a=1&b&c=x%20y" -> {{"a","1"},{"b",""},{"c","x y"}}, in order, duplicates
// kept (all of them are signed). '+' stays '+': SigV4 clients encode a space
// as %20, and a literal '+' they send is what they signed (as %2B).
Params decode_query(std::string_view query) {
  Params out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    auto name = http::percent_decode(item.substr(0, eq));
    auto value = http::percent_decode(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
    if (!name || !value) throw ApiError(400, "InvalidArgument", "Malformed percent-encoding in the query string");
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

struct Scope {
  std::string access_key, date8, region;
};

// "AK/20130524/us-east-1/s3/aws4_request"; `code` is the error to throw
// (AuthorizationHeaderMalformed or AuthorizationQueryParametersError).
Scope parse_scope(std::string_view credential, const char* code) {
  std::array<std::string_view, 5> parts;
  size_t n = 0;
  while (n < parts.size()) {
    size_t slash = credential.find('/');
    parts[n++] = credential.substr(0, slash);
    if (slash == std::string_view::npos) {
      credential = {};
      break;
    }
    credential.remove_prefix(slash + 1);
  }
  if (n != 5 || !credential.empty() || parts[0].empty() || parts[2].empty()) {
    throw ApiError(400, code,
                   "The credential is malformed; expected \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"");
  }
  if (parts[1].size() != 8 ||
      !std::all_of(parts[1].begin(), parts[1].end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw ApiError(400, code, "The credential is malformed; the date must be YYYYMMDD");
  }
  if (parts[3] != "s3") throw ApiError(400, code, "The credential is malformed; the service must be s3");
  if (parts[4] != "aws4_request")
    throw ApiError(400, code, "The credential is malformed; the terminator must be aws4_request");
  return {std::string(parts[0]), std::string(parts[1]), std::string(parts[2])};
}

// "host;x-amz-date" -> {"host","x-amz-date"}, lower-cased.
std::vector<std::string> parse_signed_headers(std::string_view list, const char* code) {
  std::vector<std::string> out;
  while (true) {
    size_t semi = list.find(';');
    std::string_view name = list.substr(0, semi);
    if (name.empty()) throw ApiError(400, code, "SignedHeaders has an empty header name");
    out.push_back(lower(name));
    if (semi == std::string_view::npos) break;
    list.remove_prefix(semi + 1);
  }
  if (std::find(out.begin(), out.end(), "host") == out.end()) {
    throw ApiError(400, code, "The host header must be among the signed headers");
  }
  return out;
}

struct AuthHeader {
  std::string_view credential, signed_headers, signature;
};

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." with or
// without spaces after the commas; each component exactly once.
AuthHeader parse_authorization(std::string_view value) {
  const char* code = "AuthorizationHeaderMalformed";
  value = http::trim_ows(value);
  if (value.substr(0, kAlgorithm.size()) != kAlgorithm || value.size() == kAlgorithm.size() ||
      (value[kAlgorithm.size()] != ' ' && value[kAlgorithm.size()] != '\t')) {
    throw ApiError(400, "InvalidRequest",
                   "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  }
  value.remove_prefix(kAlgorithm.size());
  AuthHeader out;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = http::trim_ows(value.substr(0, comma));
    value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view* slot = key == "Credential"      ? &out.credential
                             : key == "SignedHeaders" ? &out.signed_headers
                             : key == "Signature"     ? &out.signature
                                                      : nullptr;
    if (eq == std::string_view::npos || slot == nullptr || !slot->empty() || eq + 1 == item.size()) {
      throw ApiError(400, code,
                     "The authorization header is malformed near \"" + std::string(key.substr(0, 32)) + "\"");
    }
    *slot = item.substr(eq + 1);
  }
  if (out.credential.empty() || out.signed_headers.empty() || out.signature.empty()) {
    throw ApiError(400, code, "The authorization header needs Credential, SignedHeaders and Signature");
  }
  return out;
}

// x-amz-content-sha256 -> payload kind; the hex form is returned lower-cased.
VerifiedRequest::Payload classify_payload(std::string_view value, std::string& hex_out) {
  using P = VerifiedRequest::Payload;
  if (value == kUnsigned) return P::unsigned_payload;
  if (value == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return P::streaming_signed;
  if (value == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") return P::streaming_signed_trailer;
  if (value == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return P::streaming_unsigned_trailer;
  if (value.size() == 64 && from_hex(value)) {
    hex_out = lower(value);
    return P::sha256;
  }
  throw ApiError(400, "InvalidArgument",
                 "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a SHA-256 in hex");
}

int64_t unix_of(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo}, std::chrono::day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return -1;
  return std::chrono::sys_days{ymd}.time_since_epoch().count() * 86400LL + h * 3600 + mi * 60 + s;
}

int digits(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// RFC 1123 "Fri, 24 May 2013 00:00:00 GMT": the Date header S3 falls back to
// when X-Amz-Date is absent.
std::optional<int64_t> parse_http_date(std::string_view s) {
  s = http::trim_ows(s);
  if (size_t comma = s.find(','); comma != std::string_view::npos) s = http::trim_ows(s.substr(comma + 1));
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 24 || s.substr(20) != " GMT" || s[2] != ' ' || s[6] != ' ' || s[11] != ' ' || s[14] != ':' ||
      s[17] != ':') {
    return std::nullopt;
  }
  auto month = std::find(kMonths.begin(), kMonths.end(), s.substr(3, 3));
  int day = digits(s, 0, 2), year = digits(s, 7, 4), h = digits(s, 12, 2), mi = digits(s, 15, 2),
      sec = digits(s, 18, 2);
  if (month == kMonths.end() || day < 0 || year < 0 || h < 0 || mi < 0 || sec < 0) return std::nullopt;
  int64_t t = unix_of(year, static_cast<unsigned>(month - kMonths.begin() + 1), static_cast<unsigned>(day), h, mi, sec);
  if (t < 0) return std::nullopt;
  return t;
}

// The canonical request's input: every signed header (all values of a
// repeated one), the query without X-Amz-Signature.
SigningRequest signing_request(const IncomingRequest& r, std::string_view path, const Params& params,
                               const std::vector<std::string>& signed_names, std::string payload_hash) {
  SigningRequest s;
  s.method = r.method;
  s.canonical_uri = std::string(path);
  for (const auto& [name, value] : params) {
    if (name != "X-Amz-Signature") s.query.emplace_back(name, value);
  }
  for (const auto& [name, value] : r.headers) {
    std::string l = lower(name);
    if (std::find(signed_names.begin(), signed_names.end(), l) != signed_names.end()) {
      s.headers.emplace_back(std::move(l), value);
    } else if (l.starts_with("x-amz-")) {
      // S3's rule: a client may not add x-amz-* headers the signature does not cover.
      throw ApiError(403, "AccessDenied", "There were headers present in the request which were not signed");
    }
  }
  s.payload_hash = std::move(payload_hash);
  return s;
}

// Compares the presented signature with the one computed over `s`; throws
// SignatureDoesNotMatch otherwise. Returns the signing key for chunked bodies.
crypto::Digest check_signature(const SigningRequest& s, const std::vector<std::string>& signed_names,
                               const S3Credential& cred, const Scope& scope, const std::string& amz_date,
                               std::string_view presented) {
  std::string wanted;
  for (const auto& n : signed_names) wanted += (wanted.empty() ? "" : ";") + n;
  if (signed_headers(s) != wanted) {
    // A signed header absent from the request, or a list not sorted the way
    // the canonical request needs it: either way not what the client signed.
    throw ApiError(403, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you provided: the signed "
                   "headers are missing from the request or not in order");
  }
  SigningScope sscope{amz_date, scope.region, "s3"};
  crypto::Digest key = signing_key(cred.secret, scope.date8, scope.region, "s3");
  std::string computed = sign_with_key(key, string_to_sign(sscope, canonical_request(s)));
  if (!signature_matches(computed, presented)) {
    throw ApiError(403, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you provided. Check your key "
                   "and signing method.");
  }
  return key;
}

const S3Credential& lookup(const S3Credentials& creds, const std::string& access_key) {
  const S3Credential* cred = creds.find(access_key);
  if (cred == nullptr) {
    throw ApiError(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  }
  return *cred;
}

void fill_chunks(VerifiedRequest& out, const crypto::Digest& key, const Scope& scope, const std::string& amz_date,
                 std::string_view signature) {
  using P = VerifiedRequest::Payload;
  if (out.payload != P::streaming_signed && out.payload != P::streaming_signed_trailer) return;
  out.chunks.signing_key = key;
  out.chunks.scope = scope.date8 + "/" + scope.region + "/s3/aws4_request";
  out.chunks.amz_date = amz_date;
  out.chunks.seed_signature = lower(signature);
}

VerifiedRequest verify_header(const IncomingRequest& r, std::string_view path, const Params& params,
                              const S3Credentials& creds, int64_t now) {
  AuthHeader auth = parse_authorization(*find_header(r, "authorization"));
  const char* malformed = "AuthorizationHeaderMalformed";
  Scope scope = parse_scope(auth.credential, malformed);
  std::vector<std::string> names = parse_signed_headers(auth.signed_headers, malformed);
  const S3Credential& cred = lookup(creds, scope.access_key);

  std::optional<int64_t> when;
  std::string amz_date;
  if (const std::string* x = find_header(r, "x-amz-date")) {
    when = parse_amz_date(http::trim_ows(*x));
    amz_date = std::string(http::trim_ows(*x));
  } else if (const std::string* d = find_header(r, "date")) {
    when = parse_http_date(*d);
    if (when) amz_date = s3::amz_date(*when);
  }
  if (!when) throw ApiError(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  if (std::llabs(*when - now) > kMaxClockSkewSeconds) {
    throw ApiError(403, "RequestTimeTooSkewed",
                   "The difference between the request time and the current time is too large.");
  }
  if (amz_date.substr(0, 8) != scope.date8) {
    throw ApiError(400, malformed,
                   "The authorization header is malformed; Invalid credential date. Date is not the "
                   "same as X-Amz-Date.");
  }
  const std::string* content = find_header(r, "x-amz-content-sha256");
  if (content == nullptr) {
    throw ApiError(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  }
  VerifiedRequest out;
  out.payload = classify_payload(http::trim_ows(*content), out.payload_sha256);
  SigningRequest s = signing_request(r, path, params, names, std::string(http::trim_ows(*content)));
  crypto::Digest key = check_signature(s, names, cred, scope, amz_date, auth.signature);
  out.access_key = scope.access_key;
  out.credential = &cred;
  out.region = scope.region;
  fill_chunks(out, key, scope, amz_date, auth.signature);
  return out;
}

const std::string& required_param(const Params& params, std::string_view name) {
  const std::string* v = find_param(params, name);
  if (v == nullptr || v->empty()) {
    throw ApiError(400, "AuthorizationQueryParametersError",
                   "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                   "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  return *v;
}

VerifiedRequest verify_presigned(const IncomingRequest& r, std::string_view path, const Params& params,
                                 const S3Credentials& creds, int64_t now) {
  const char* bad = "AuthorizationQueryParametersError";
  const std::string& algorithm = required_param(params, "X-Amz-Algorithm");
  const std::string& credential = required_param(params, "X-Amz-Credential");
  const std::string& signature = required_param(params, "X-Amz-Signature");
  const std::string& date = required_param(params, "X-Amz-Date");
  const std::string& signed_list = required_param(params, "X-Amz-SignedHeaders");
  const std::string& expires_text = required_param(params, "X-Amz-Expires");
  if (algorithm != kAlgorithm) throw ApiError(400, bad, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  Scope scope = parse_scope(credential, bad);
  std::vector<std::string> names = parse_signed_headers(signed_list, bad);
  // A number of seconds outside 1..604800 (0, negative, over seven days)
  // makes a URL that is never valid: 403 AccessDenied, as RGW answers
  // (s3-tests' x_amz_expires_out_* cases). Text that is no number at all is
  // a malformed request.
  int64_t expires = 0;
  const char* const text_end = expires_text.data() + expires_text.size();
  auto [end, ec] = std::from_chars(expires_text.data(), text_end, expires);
  if (ec != std::errc() || end != text_end) throw ApiError(400, bad, "X-Amz-Expires must be a number of seconds");
  if (expires < 1 || expires > kMaxPresignedExpiresSeconds) {
    throw ApiError(403, "AccessDenied", "X-Amz-Expires must be a number of seconds from 1 to 604800 (seven days)");
  }
  std::optional<int64_t> when = parse_amz_date(date);
  if (!when) throw ApiError(400, bad, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  const S3Credential& cred = lookup(creds, scope.access_key);
  if (date.substr(0, 8) != scope.date8) {
    throw ApiError(400, bad, "Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  if (now > *when + expires) throw ApiError(403, "AccessDenied", "Request has expired");
  if (*when - now > kMaxClockSkewSeconds) throw ApiError(403, "AccessDenied", "Request is not valid yet");

  VerifiedRequest out;
  out.presigned = true;
  std::string payload_hash(kUnsigned);
  if (const std::string* content = find_header(r, "x-amz-content-sha256")) {
    payload_hash = std::string(http::trim_ows(*content));
    out.payload = classify_payload(payload_hash, out.payload_sha256);
    if (out.payload != VerifiedRequest::Payload::sha256 && out.payload != VerifiedRequest::Payload::unsigned_payload) {
      throw ApiError(400, "InvalidRequest", "A presigned URL cannot carry an aws-chunked (STREAMING-*) body");
    }
  }
  SigningRequest s = signing_request(r, path, params, names, payload_hash);
  check_signature(s, names, cred, scope, date, signature);
  out.access_key = scope.access_key;
  out.credential = &cred;
  out.region = scope.region;
  return out;
}

}  // namespace

crypto::Digest signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                           std::string_view service) {
  // sigv4.hpp derives this key inside signature() without exposing it;
  // chunk signatures need it on its own. sigv4_verify_test checks that the
  // two agree.
  std::string k_secret = "AWS4" + std::string(secret);
  crypto::Digest k = crypto::hmac_sha256(crypto::as_bytes(k_secret), crypto::as_bytes(date8));
  OPENSSL_cleanse(k_secret.data(), k_secret.size());
  k = crypto::hmac_sha256(k, crypto::as_bytes(region));
  k = crypto::hmac_sha256(k, crypto::as_bytes(service));
  return crypto::hmac_sha256(k, crypto::as_bytes("aws4_request"));
}

std::string sign_with_key(const crypto::Digest& key, std::string_view string_to_sign) {
  return to_hex(crypto::hmac_sha256(key, crypto::as_bytes(string_to_sign)));
}

bool signature_matches(std::string_view computed_hex, std::string_view presented) {
  // The length is public (always 64); only the content must not leak
  // through timing. Clients send lower-case hex; upper-case does not match,
  // as on S3.
  return computed_hex.size() == presented.size() &&
         CRYPTO_memcmp(computed_hex.data(), presented.data(), computed_hex.size()) == 0;
}

std::optional<int64_t> parse_amz_date(std::string_view t) {
  if (t.size() != 16 || t[8] != 'T' || t[15] != 'Z') return std::nullopt;
  int y = digits(t, 0, 4), mo = digits(t, 4, 2), d = digits(t, 6, 2);
  int h = digits(t, 9, 2), mi = digits(t, 11, 2), s = digits(t, 13, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  int64_t out = unix_of(y, static_cast<unsigned>(mo), static_cast<unsigned>(d), h, mi, s);
  if (out < 0) return std::nullopt;
  return out;
}

AuthKind auth_kind(const IncomingRequest& request) {
  if (const std::string* auth = find_header(request, "authorization")) {
    std::string_view v = http::trim_ows(*auth);
    return v.starts_with(kAlgorithm) && v.size() > kAlgorithm.size() &&
                   (v[kAlgorithm.size()] == ' ' || v[kAlgorithm.size()] == '\t')
               ? AuthKind::header
               : AuthKind::unsupported;
  }
  std::string_view query = http::split_target(request.target).query;
  AuthKind kind = AuthKind::anonymous;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view name = query.substr(0, std::min(amp, query.find('=')));
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Signature") {
      return AuthKind::presigned;
    }
    if (name == "AWSAccessKeyId" || name == "Signature") kind = AuthKind::unsupported;
  }
  return kind;
}

VerifiedRequest verify_sigv4(const IncomingRequest& request, const S3Credentials& credentials, int64_t now_unix) {
  AuthKind kind = auth_kind(request);
  http::TargetParts parts = http::split_target(request.target);
  Params params = decode_query(parts.query);
  bool query_auth = find_param(params, "X-Amz-Algorithm") != nullptr ||
                    find_param(params, "X-Amz-Credential") != nullptr ||
                    find_param(params, "X-Amz-Signature") != nullptr;
  if (kind == AuthKind::unsupported) {
    throw ApiError(400, "InvalidRequest",
                   "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  }
  if (kind == AuthKind::anonymous) throw ApiError(403, "AccessDenied", "Access Denied: the request is not signed");
  if (kind == AuthKind::header && query_auth) {
    throw ApiError(400, "InvalidArgument",
                   "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
                   "string parameter or the Authorization header should be specified");
  }
  return kind == AuthKind::header ? verify_header(request, parts.path, params, credentials, now_unix)
                                  : verify_presigned(request, parts.path, params, credentials, now_unix);
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::string* find_header(const IncomingRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (iequals(n, name)) return &v;
  }
  return nullptr;
}

std::optional<int64_t> parse_rfc1123_date(std::string_view text) {
  return parse_http_date(text);
}

}  // namespace haul::s3
