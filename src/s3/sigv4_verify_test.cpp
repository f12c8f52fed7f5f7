// Server-side SigV4 against AWS's published S3 examples (credentials
// AKIAIOSFODNN7EXAMPLE, 20130524T000000Z, us-east-1):
//  - "Signature Calculations for the Authorization Header: Transferring
//    Payload in a Single Chunk": GET Object with Range, PUT Object,
//    GET Bucket Lifecycle, GET Bucket (List Objects);
//  - "Authenticating Requests: Using Query Parameters": the presigned GET;
//  - the seed signatures of the chunked-upload examples (plain and with a
//    trailer), whose chunk signatures aws_chunked_test checks;
// then round trips through the client-side signer, tampering, and every
// error the verifier answers with.
#include <gtest/gtest.h>

#include <functional>

#include "crypto/sha256.hpp"
#include "s3/api_error.hpp"
#include "s3/sigv4.hpp"
#include "s3/sigv4_verify.hpp"

namespace haul::s3 {
namespace {

constexpr int64_t kExampleTime = 1369353600;  // 2013-05-24T00:00:00Z
const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kScopePrefix = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";

const S3Credentials& example_keys() {
  static const S3Credentials keys = S3Credentials::parse(
      "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY:examplebucket\n"
      "AKIDROUNDTRIP:round/trip+secret\n");
  return keys;
}

std::string auth(const std::string& signed_headers, const std::string& signature) {
  return kScopePrefix + ",SignedHeaders=" + signed_headers + ",Signature=" + signature;
}

IncomingRequest get_object_range() {
  return {"GET",
          "/test.txt",
          {{"Host", "examplebucket.s3.amazonaws.com"},
           {"Range", "bytes=0-9"},
           {"x-amz-content-sha256", kEmptyHash},
           {"x-amz-date", "20130524T000000Z"},
           {"Authorization", auth("host;range;x-amz-content-sha256;x-amz-date",
                                  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")}}};
}

IncomingRequest put_object() {
  return {"PUT",
          "/test%24file.text",
          {{"Host", "examplebucket.s3.amazonaws.com"},
           {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
           {"Authorization", auth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                                  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")},
           {"x-amz-date", "20130524T000000Z"},
           {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
           {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}}};
}

IncomingRequest get_bucket(std::string target, const std::string& signature) {
  return {"GET",
          std::move(target),
          {{"Host", "examplebucket.s3.amazonaws.com"},
           {"x-amz-date", "20130524T000000Z"},
           {"x-amz-content-sha256", kEmptyHash},
           {"Authorization", auth("host;x-amz-content-sha256;x-amz-date", signature)}}};
}

IncomingRequest presigned_get() {
  return {
      "GET",
      "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%"
      "2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
      {{"Host", "examplebucket.s3.amazonaws.com"}}};
}

// The code of the ApiError that verifying `r` at `now` throws ("" if none).
std::string error_code(const IncomingRequest& r, int64_t now = kExampleTime, int* status = nullptr) {
  try {
    verify_sigv4(r, example_keys(), now);
  } catch (const ApiError& e) {
    if (status != nullptr) *status = e.status();
    return e.code();
  }
  return "";
}

void set_header(IncomingRequest& r, std::string_view name, const std::string& value) {
  for (auto& [n, v] : r.headers) {
    if (n == name) v = value;
  }
}

void remove_header(IncomingRequest& r, std::string_view name) {
  std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
}

TEST(SigV4Verify, AwsGetObjectWithRange) {
  VerifiedRequest v = verify_sigv4(get_object_range(), example_keys(), kExampleTime);
  EXPECT_EQ(v.access_key, "AKIAIOSFODNN7EXAMPLE");
  ASSERT_NE(v.credential, nullptr);
  EXPECT_TRUE(v.credential->allows("examplebucket"));
  EXPECT_FALSE(v.credential->allows("otherbucket"));
  EXPECT_EQ(v.region, "us-east-1");
  EXPECT_EQ(v.payload, VerifiedRequest::Payload::sha256);
  EXPECT_EQ(v.payload_sha256, kEmptyHash);
  EXPECT_FALSE(v.presigned);
}

TEST(SigV4Verify, AwsPutObject) {
  VerifiedRequest v = verify_sigv4(put_object(), example_keys(), kExampleTime);
  EXPECT_EQ(v.payload, VerifiedRequest::Payload::sha256);
  EXPECT_EQ(v.payload_sha256, crypto::sha256_hex("Welcome to Amazon S3."));
}

TEST(SigV4Verify, AwsGetBucketLifecycleAndListObjects) {
  EXPECT_EQ(error_code(get_bucket("/?lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")),
            "");
  EXPECT_EQ(error_code(get_bucket("/?lifecycle=", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")),
            "");
  std::string list_sig = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7";
  EXPECT_EQ(error_code(get_bucket("/?max-keys=2&prefix=J", list_sig)), "");
  // The canonical query is sorted: the order on the wire does not matter.
  EXPECT_EQ(error_code(get_bucket("/?prefix=J&max-keys=2", list_sig)), "");
  EXPECT_EQ(error_code(get_bucket("/?prefix=J&&max-keys=2&", list_sig)), "");
  EXPECT_EQ(error_code(get_bucket("/?max-keys=%32&prefix=%4a", list_sig)), "");  // decoded, then re-encoded
  EXPECT_EQ(error_code(get_bucket("/?max-keys=3&prefix=J", list_sig)), "SignatureDoesNotMatch");
  EXPECT_EQ(error_code(get_bucket("/?max-keys=2&prefix=J&x", list_sig)), "SignatureDoesNotMatch");
  EXPECT_EQ(error_code(get_bucket("/?max-keys=2&prefix=%zz", list_sig)), "InvalidArgument");
}

TEST(SigV4Verify, AwsPresignedGet) {
  VerifiedRequest v = verify_sigv4(presigned_get(), example_keys(), kExampleTime);
  EXPECT_TRUE(v.presigned);
  EXPECT_EQ(v.access_key, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(v.payload, VerifiedRequest::Payload::unsigned_payload);
  // Valid through its last second, expired after; dated ahead: 15 minutes of slack.
  EXPECT_EQ(error_code(presigned_get(), kExampleTime + 86400), "");
  int status = 0;
  EXPECT_EQ(error_code(presigned_get(), kExampleTime + 86401, &status), "AccessDenied");
  EXPECT_EQ(status, 403);
  EXPECT_EQ(error_code(presigned_get(), kExampleTime - 900), "");
  EXPECT_EQ(error_code(presigned_get(), kExampleTime - 901), "AccessDenied");
}

TEST(SigV4Verify, AwsChunkedUploadSeeds) {
  IncomingRequest r{"PUT",
                    "/examplebucket/chunkObject.txt",
                    {{"Host", "s3.amazonaws.com"},
                     {"x-amz-date", "20130524T000000Z"},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                     {"Authorization", auth("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                                            "x-amz-decoded-content-length;x-amz-storage-class",
                                            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")},
                     {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
                     {"Content-Encoding", "aws-chunked"},
                     {"x-amz-decoded-content-length", "66560"},
                     {"Content-Length", "66824"}}};
  VerifiedRequest v = verify_sigv4(r, example_keys(), kExampleTime);
  EXPECT_EQ(v.payload, VerifiedRequest::Payload::streaming_signed);
  EXPECT_EQ(v.chunks.seed_signature, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_EQ(v.chunks.scope, "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(v.chunks.amz_date, "20130524T000000Z");
  EXPECT_EQ(v.chunks.signing_key,
            signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"));

  IncomingRequest t{"PUT",
                    "/examplebucket/chunkObject.txt",
                    {{"Host", "s3.amazonaws.com"},
                     {"x-amz-date", "20130524T000000Z"},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                     {"Authorization", auth("content-encoding;host;x-amz-content-sha256;x-amz-date;"
                                            "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
                                            "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")},
                     {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"},
                     {"Content-Encoding", "aws-chunked"},
                     {"x-amz-decoded-content-length", "66560"},
                     {"x-amz-trailer", "x-amz-checksum-crc32c"}}};
  v = verify_sigv4(t, example_keys(), kExampleTime);
  EXPECT_EQ(v.payload, VerifiedRequest::Payload::streaming_signed_trailer);
  EXPECT_EQ(v.chunks.seed_signature, "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");
}

TEST(SigV4Verify, SigningKeyAgreesWithTheClientSigner) {
  Credentials c{"AK", "secret", ""};
  SigningScope scope{"20240102T030405Z", "eu-west-3", "s3"};
  EXPECT_EQ(sign_with_key(signing_key("secret", "20240102", "eu-west-3", "s3"), "some string"),
            signature(c, scope, "some string"));
}

// A request signed by the client-side signer (sigv4.hpp) verifies.
IncomingRequest signed_by_client(const std::string& method, const std::string& uri,
                                 const std::vector<std::pair<std::string, std::string>>& query,
                                 std::vector<std::pair<std::string, std::string>> headers, int64_t when) {
  headers.emplace_back("x-amz-date", amz_date(when));
  SigningRequest s{method, uri, query, headers, "UNSIGNED-PAYLOAD"};
  s.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  SigningScope scope{amz_date(when), "auto", "s3"};
  IncomingRequest r{method, uri, s.headers};
  r.headers.emplace_back("Authorization", authorization({"AKIDROUNDTRIP", "round/trip+secret", ""}, scope, s));
  std::string q;
  for (const auto& [n, v] : query) q += (q.empty() ? "?" : "&") + uri_encode(n, false) + "=" + uri_encode(v, false);
  r.target += q;
  return r;
}

TEST(SigV4Verify, RoundTripThroughTheClientSigner) {
  const int64_t now = 1700000000;
  IncomingRequest r = signed_by_client(
      "GET", "/bucket/dir/a%20b%2Bc~%E2%82%AC",
      {{"list-type", "2"}, {"prefix", "a b/c+d=e&f"}, {"delimiter", "/"}, {"uploads", ""}, {"prefix", "again"}},
      {{"Host", "gw.example:8443"}, {"X-Amz-Meta-Note", "  two   spaces  "}, {"x-amz-meta-note", "second"}}, now);
  VerifiedRequest v = verify_sigv4(r, example_keys(), now);
  EXPECT_EQ(v.access_key, "AKIDROUNDTRIP");
  EXPECT_EQ(v.region, "auto");
  EXPECT_EQ(v.payload, VerifiedRequest::Payload::unsigned_payload);
  EXPECT_TRUE(v.credential->allows("anything"));
  // Header names are matched whatever their case on the wire.
  for (auto& [name, value] : r.headers) {
    if (name != "Authorization") name = name == "Host" ? "hOST" : "X-AMZ-" + name.substr(6);
  }
  EXPECT_EQ(error_code(r, now), "");
}

TEST(SigV4Verify, TamperingFails) {
  const int64_t now = 1700000000;
  auto fresh = [&] {
    return signed_by_client("PUT", "/bucket/key", {{"partNumber", "1"}, {"uploadId", "abc"}},
                            {{"Host", "gw"}, {"Content-Type", "text/plain"}}, now);
  };
  ASSERT_EQ(error_code(fresh(), now), "");
  std::vector<std::function<void(IncomingRequest&)>> tampers = {
      [](IncomingRequest& r) { r.method = "POST"; },
      [](IncomingRequest& r) { r.target.replace(0, 11, "/bucket/kez"); },
      [](IncomingRequest& r) { r.target.replace(0, 11, "/bucket%2Fkey"); },  // S3 does not normalize
      [](IncomingRequest& r) { r.target += "&x=1"; },
      [](IncomingRequest& r) { r.target.replace(r.target.find("abc"), 3, "abd"); },
      [](IncomingRequest& r) { set_header(r, "Content-Type", "text/html"); },
      [](IncomingRequest& r) { set_header(r, "Host", "evil"); },
      [](IncomingRequest& r) { set_header(r, "x-amz-date", amz_date(1700000001)); },
      [](IncomingRequest& r) { r.headers.emplace_back("content-type", "x"); },  // a second value is signed too
      [](IncomingRequest& r) { remove_header(r, "Content-Type"); },
  };
  for (size_t i = 0; i < tampers.size(); ++i) {
    IncomingRequest r = fresh();
    tampers[i](r);
    EXPECT_EQ(error_code(r, now), "SignatureDoesNotMatch") << "tamper " << i;
  }
  // An unsigned header that is not x-amz-* may be added (proxies add some).
  IncomingRequest r = fresh();
  r.headers.emplace_back("User-Agent", "aws-cli/2");
  EXPECT_EQ(error_code(r, now), "");
  // An unsigned x-amz-* header may not.
  r.headers.emplace_back("x-amz-meta-late", "1");
  EXPECT_EQ(error_code(r, now), "AccessDenied");
}

TEST(SigV4Verify, AuthorizationHeaderVariants) {
  IncomingRequest r = get_object_range();
  std::string sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
  std::string sh = "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date";
  std::string cred = "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";
  for (const std::string& value : {"AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + sig,
                                   "AWS4-HMAC-SHA256  " + cred + " ,  " + sh + ",Signature=" + sig + " ",
                                   "AWS4-HMAC-SHA256 Signature=" + sig + "," + cred + "," + sh}) {
    set_header(r, "Authorization", value);
    EXPECT_EQ(error_code(r), "") << value;
  }
  for (const std::string& value : {
           "AWS4-HMAC-SHA256 " + cred + "," + sh,                                              // no Signature
           "AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature=" + sig + ",Signature=" + sig,  // twice
           "AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature=" + sig + ",Extra=1",
           "AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature=",
           "AWS4-HMAC-SHA256 " + cred + ";" + sh + ";Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3," + sh + ",Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/ec2/aws4_request," + sh +
               ",Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws5_request," + sh +
               ",Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130523/us-east-1/s3/aws4_request," + sh +
               ",Signature=" + sig,  // not X-Amz-Date's day
           "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/2013052/us-east-1/s3/aws4_request," + sh +
               ",Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524//s3/aws4_request," + sh + ",Signature=" + sig,
           "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=range;x-amz-date,Signature=" + sig,  // host not signed
           "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host;;range,Signature=" + sig,
       }) {
    set_header(r, "Authorization", value);
    int status = 0;
    EXPECT_EQ(error_code(r, kExampleTime, &status), "AuthorizationHeaderMalformed") << value;
    EXPECT_EQ(status, 400);
  }
  set_header(r, "Authorization", "AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature=" + std::string(64, '0'));
  EXPECT_EQ(error_code(r), "SignatureDoesNotMatch");
  set_header(r, "Authorization", "AWS4-HMAC-SHA256 " + cred + "," + sh + ",Signature=" + sig.substr(1));
  EXPECT_EQ(error_code(r), "SignatureDoesNotMatch");
  // Signed headers out of order: not the canonical request the client must have signed.
  set_header(r, "Authorization",
             "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=range;host;x-amz-content-sha256;x-amz-date,Signature=" + sig);
  EXPECT_EQ(error_code(r), "SignatureDoesNotMatch");
}

TEST(SigV4Verify, HeaderAuthErrors) {
  int status = 0;
  IncomingRequest r = get_object_range();
  set_header(r, "Authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=");
  EXPECT_EQ(error_code(r, kExampleTime, &status), "InvalidRequest");  // AWS v2
  EXPECT_EQ(status, 400);
  set_header(r, "Authorization", "AWS4-HMAC-SHA512 Credential=x");
  EXPECT_EQ(error_code(r), "InvalidRequest");

  r = get_object_range();
  set_header(r, "Authorization", auth("host", std::string(64, 'a')).replace(28, 20, "AKIAUNKNOWNKEY000000"));
  EXPECT_EQ(error_code(r, kExampleTime, &status), "InvalidAccessKeyId");
  EXPECT_EQ(status, 403);

  // 15 minutes of skew either way, then RequestTimeTooSkewed.
  EXPECT_EQ(error_code(get_object_range(), kExampleTime + 900), "");
  EXPECT_EQ(error_code(get_object_range(), kExampleTime - 900), "");
  EXPECT_EQ(error_code(get_object_range(), kExampleTime + 901, &status), "RequestTimeTooSkewed");
  EXPECT_EQ(status, 403);
  EXPECT_EQ(error_code(get_object_range(), kExampleTime - 901), "RequestTimeTooSkewed");

  r = get_object_range();
  remove_header(r, "x-amz-date");
  EXPECT_EQ(error_code(r, kExampleTime, &status), "AccessDenied");
  EXPECT_EQ(status, 403);
  r = get_object_range();
  set_header(r, "x-amz-date", "2013-05-24T00:00:00Z");
  EXPECT_EQ(error_code(r), "AccessDenied");
  set_header(r, "x-amz-date", "20130230T000000Z");  // no such day
  EXPECT_EQ(error_code(r), "AccessDenied");

  r = get_object_range();
  remove_header(r, "x-amz-content-sha256");
  EXPECT_EQ(error_code(r, kExampleTime, &status), "InvalidRequest");
  EXPECT_EQ(status, 400);
  r = get_object_range();
  set_header(r, "x-amz-content-sha256", "STREAMING-SOMETHING");
  EXPECT_EQ(error_code(r, kExampleTime, &status), "InvalidArgument");
  EXPECT_EQ(status, 400);
  set_header(r, "x-amz-content-sha256", kEmptyHash.substr(1));
  EXPECT_EQ(error_code(r), "InvalidArgument");

  r = get_object_range();  // header and query auth together
  r.target += "?X-Amz-Algorithm=AWS4-HMAC-SHA256";
  EXPECT_EQ(error_code(r), "InvalidArgument");
}

TEST(SigV4Verify, DateHeaderFallback) {
  // PUT Object carries both; without X-Amz-Date the signed Date header is the
  // request time. The signature then no longer matches (x-amz-date was
  // signed), which shows the Date header was parsed and used.
  IncomingRequest r = put_object();
  remove_header(r, "x-amz-date");
  EXPECT_EQ(error_code(r), "SignatureDoesNotMatch");
  EXPECT_EQ(error_code(r, kExampleTime + 3600), "RequestTimeTooSkewed");
  set_header(r, "Date", "Fri, 24 May 2013 00:00:00 UTC");
  EXPECT_EQ(error_code(r), "AccessDenied");
}

TEST(SigV4Verify, PresignedErrors) {
  auto with = [](const std::string& from, const std::string& to) {
    IncomingRequest r = presigned_get();
    r.target.replace(r.target.find(from), from.size(), to);
    return r;
  };
  int status = 0;
  // Out of range: a URL never valid (403, as RGW); not a number: malformed (400).
  EXPECT_EQ(error_code(with("X-Amz-Expires=86400", "X-Amz-Expires=0"), kExampleTime, &status), "AccessDenied");
  EXPECT_EQ(status, 403);
  EXPECT_EQ(error_code(with("X-Amz-Expires=86400", "X-Amz-Expires=604801")), "AccessDenied");
  EXPECT_EQ(error_code(with("X-Amz-Expires=86400", "X-Amz-Expires=-5")), "AccessDenied");
  EXPECT_EQ(error_code(with("X-Amz-Expires=86400", "X-Amz-Expires=99999999999999999999"), kExampleTime, &status),
            "AuthorizationQueryParametersError");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(error_code(with("X-Amz-Expires=86400", "X-Amz-Expires=1x")), "AuthorizationQueryParametersError");
  EXPECT_EQ(error_code(with("X-Amz-Expires=86400", "X-Amz-Expires=-")), "AuthorizationQueryParametersError");
  EXPECT_EQ(error_code(with("X-Amz-Expires=86400", "X-Amz-Expires=604800")), "SignatureDoesNotMatch");
  EXPECT_EQ(error_code(with("X-Amz-Expires=86400&", "")), "AuthorizationQueryParametersError");
  EXPECT_EQ(error_code(with("X-Amz-SignedHeaders=host&", "")), "AuthorizationQueryParametersError");
  EXPECT_EQ(error_code(with("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1")),
            "AuthorizationQueryParametersError");
  EXPECT_EQ(error_code(with("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524")),
            "AuthorizationQueryParametersError");
  EXPECT_EQ(error_code(with("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524T000001Z")), "SignatureDoesNotMatch");
  EXPECT_EQ(error_code(with("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130525T000000Z"), kExampleTime + 86400),
            "AuthorizationQueryParametersError");  // not the credential's day
  EXPECT_EQ(error_code(with("%2Fs3%2F", "%2Fsqs%2F")), "AuthorizationQueryParametersError");
  EXPECT_EQ(error_code(with("AKIAIOSFODNN7EXAMPLE", "AKIANOTKNOWN")), "InvalidAccessKeyId");
  EXPECT_EQ(error_code(with("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date")),
            "AuthorizationQueryParametersError");
  EXPECT_EQ(error_code(with("/test.txt", "/test2.txt")), "SignatureDoesNotMatch");
  EXPECT_EQ(error_code(with("/test.txt?", "/test.txt?acl&")), "SignatureDoesNotMatch");
  EXPECT_EQ(error_code(with("d404", "d405")), "SignatureDoesNotMatch");
  IncomingRequest r = presigned_get();
  r.method = "PUT";
  EXPECT_EQ(error_code(r), "SignatureDoesNotMatch");
  // A signed payload hash replaces UNSIGNED-PAYLOAD; streaming needs header auth.
  r = presigned_get();
  r.headers.emplace_back("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  EXPECT_EQ(error_code(r), "InvalidRequest");
  r = presigned_get();
  r.headers.emplace_back("X-Amz-Content-Sha256", kEmptyHash);
  EXPECT_EQ(error_code(r), "AccessDenied");  // an x-amz-* header the URL did not sign
}

TEST(SigV4Verify, AuthKind) {
  auto kind = [](std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return auth_kind(IncomingRequest{"GET", std::move(target), std::move(headers)});
  };
  EXPECT_EQ(kind("/b/k"), AuthKind::anonymous);
  EXPECT_EQ(kind("/b/k?X-Amz-Algorithmish=1&prefix=X-Amz-Algorithm"), AuthKind::anonymous);
  EXPECT_EQ(kind("/b/k?a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256"), AuthKind::presigned);
  EXPECT_EQ(kind("/b/k?X-Amz-Signature=00"), AuthKind::presigned);
  EXPECT_EQ(kind("/b/k?AWSAccessKeyId=AK&Expires=1&Signature=x"), AuthKind::unsupported);
  EXPECT_EQ(kind("/b/k", {{"AUTHORIZATION", "AWS4-HMAC-SHA256 Credential=x"}}), AuthKind::header);
  EXPECT_EQ(kind("/b/k", {{"authorization", "AWS AK:sig"}}), AuthKind::unsupported);
  EXPECT_EQ(kind("/b/k", {{"authorization", "Bearer t"}}), AuthKind::unsupported);
  EXPECT_EQ(kind("/b/k", {{"authorization", "AWS4-HMAC-SHA256"}}), AuthKind::unsupported);
  EXPECT_TRUE(is_sigv4_request(presigned_get()));
  EXPECT_TRUE(is_sigv4_request(get_object_range()));
  EXPECT_FALSE(is_sigv4_request(IncomingRequest{"GET", "/", {}}));
  EXPECT_EQ(error_code(IncomingRequest{"GET", "/", {}}), "AccessDenied");
}

TEST(SigV4Verify, ParseAmzDate) {
  EXPECT_EQ(parse_amz_date("20130524T000000Z"), kExampleTime);
  EXPECT_EQ(parse_amz_date("19700101T000000Z"), 0);
  EXPECT_EQ(parse_amz_date(amz_date(1700000000)), 1700000000);
  EXPECT_EQ(parse_amz_date("20240229T235959Z"), 1709251199);
  for (const char* bad :
       {"", "20130524T000000", "20130524T000000z", "2013052AT000000Z", "20230229T000000Z", "20131324T000000Z",
        "20130524T240000Z", "20130524T006000Z", "20130524T000060Z", "+0130524T000000Z"}) {
    EXPECT_FALSE(parse_amz_date(bad)) << bad;
  }
}

TEST(SigV4Verify, SignatureMatches) {
  EXPECT_TRUE(signature_matches("abc", "abc"));
  EXPECT_FALSE(signature_matches("abc", "abd"));
  EXPECT_FALSE(signature_matches("abc", "ab"));
  EXPECT_FALSE(signature_matches("abc", "ABC"));
}

}  // namespace
}  // namespace haul::s3
