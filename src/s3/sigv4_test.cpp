// SigV4 against AWS's published vectors:
//  - the Signature Version 4 test suite (aws-sig-v4-test-suite: get-vanilla,
//    post-vanilla, get-vanilla-query-order-key-case, get-unreserved,
//    post-header-value-case, get-header-value-trim, get-header-key-duplicate),
//    credentials AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service";
//  - the S3 API reference examples (sig-v4-header-based-auth: GET object with
//    Range, PUT object "test$file.text", GET bucket list), 20130524T000000Z.
#include <gtest/gtest.h>

#include "crypto/sha256.hpp"
#include "s3/sigv4.hpp"

namespace haul::s3 {
namespace {

const Credentials suite_creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SigningScope suite_scope{"20150830T123600Z", "us-east-1", "service"};
const std::string empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigningRequest suite_request(std::string method, std::string uri) {
  SigningRequest r;
  r.method = std::move(method);
  r.canonical_uri = std::move(uri);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_hash = empty_hash;
  return r;
}

std::string suite_auth(const std::string& signed_headers, const std::string& sig) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=" +
         signed_headers + ", Signature=" + sig;
}

TEST(SigV4, GetVanillaAllSteps) {
  auto r = suite_request("GET", "/");
  std::string creq = canonical_request(r);
  EXPECT_EQ(creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + empty_hash);
  std::string sts = string_to_sign(suite_scope, creq);
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(signature(suite_creds, suite_scope, sts),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(authorization(suite_creds, suite_scope, r),
            suite_auth("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

TEST(SigV4, PostVanilla) {
  EXPECT_EQ(authorization(suite_creds, suite_scope, suite_request("POST", "/")),
            suite_auth("host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
}

TEST(SigV4, QueryOrderKeyCase) {
  auto r = suite_request("GET", "/");
  r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  EXPECT_EQ(string_to_sign(suite_scope, canonical_request(r)),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  EXPECT_EQ(authorization(suite_creds, suite_scope, r),
            suite_auth("host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
}

TEST(SigV4, Unreserved) {
  auto r = suite_request("GET",
                         "/" + uri_encode("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", true));
  EXPECT_EQ(authorization(suite_creds, suite_scope, r),
            suite_auth("host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"));
}

TEST(SigV4, HeaderValueCase) {
  auto r = suite_request("POST", "/");
  r.headers.emplace_back("My-Header1", "VALUE1");
  EXPECT_EQ(
      authorization(suite_creds, suite_scope, r),
      suite_auth("host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"));
}

TEST(SigV4, HeaderValueTrim) {
  auto r = suite_request("GET", "/");
  r.headers.emplace_back("My-Header1", " value1");
  r.headers.emplace_back("My-Header2", "\"a   b   c\"");
  EXPECT_EQ(authorization(suite_creds, suite_scope, r),
            suite_auth("host;my-header1;my-header2;x-amz-date",
                       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
}

TEST(SigV4, HeaderKeyDuplicate) {
  auto r = suite_request("GET", "/");
  r.headers.emplace_back("My-Header1", "value2");
  r.headers.emplace_back("My-Header1", "value2");
  r.headers.emplace_back("My-Header1", "value1");
  EXPECT_EQ(
      authorization(suite_creds, suite_scope, r),
      suite_auth("host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"));
}

// S3 API reference examples.
const Credentials s3_creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const SigningScope s3_scope{"20130524T000000Z", "us-east-1", "s3"};

TEST(SigV4, S3GetObjectWithRange) {
  SigningRequest r{"GET",
                   "/test.txt",
                   {},
                   {{"Host", "examplebucket.s3.amazonaws.com"},
                    {"Range", "bytes=0-9"},
                    {"x-amz-content-sha256", empty_hash},
                    {"x-amz-date", "20130524T000000Z"}},
                   empty_hash};
  EXPECT_EQ(string_to_sign(s3_scope, canonical_request(r)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(authorization(s3_creds, s3_scope, r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PutObjectEncodedKey) {
  std::string body_hash = crypto::sha256_hex("Welcome to Amazon S3.");
  EXPECT_EQ(body_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  SigningRequest r{"PUT",
                   "/" + uri_encode("test$file.text", true),
                   {},
                   {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                    {"Host", "examplebucket.s3.amazonaws.com"},
                    {"x-amz-content-sha256", body_hash},
                    {"x-amz-date", "20130524T000000Z"},
                    {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                   body_hash};
  EXPECT_EQ(string_to_sign(s3_scope, canonical_request(r)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(signature(s3_creds, s3_scope, string_to_sign(s3_scope, canonical_request(r))),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, S3ListObjectsQuery) {
  SigningRequest r{"GET",
                   "/",
                   {{"max-keys", "2"}, {"prefix", "J"}},
                   {{"Host", "examplebucket.s3.amazonaws.com"},
                    {"x-amz-content-sha256", empty_hash},
                    {"x-amz-date", "20130524T000000Z"}},
                   empty_hash};
  EXPECT_EQ(signature(s3_creds, s3_scope, string_to_sign(s3_scope, canonical_request(r))),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, UriEncode) {
  EXPECT_EQ(uri_encode("a b+c/d", true), "a%20b%2Bc/d");
  EXPECT_EQ(uri_encode("a b+c/d", false), "a%20b%2Bc%2Fd");
  EXPECT_EQ(uri_encode("A-z_0.9~", false), "A-z_0.9~");
  EXPECT_EQ(uri_encode("\xd0\xba=&?#%", false), "%D0%BA%3D%26%3F%23%25");
}

TEST(SigV4, AmzDate) {
  EXPECT_EQ(amz_date(1440938160), "20150830T123600Z");
  EXPECT_EQ(amz_date(0), "19700101T000000Z");
}

TEST(SigV4, QueryValuesAreEncodedAndSorted) {
  SigningRequest r{"GET",
                   "/b",
                   {{"uploadId", "2~a+b/c="}, {"partNumber", "1"}, {"uploads", ""}},
                   {{"host", "h"}, {"x-amz-date", "20150830T123600Z"}},
                   "UNSIGNED-PAYLOAD"};
  EXPECT_EQ(canonical_request(r),
            "GET\n/b\npartNumber=1&uploadId=2~a%2Bb%2Fc%3D&uploads=\nhost:h\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\nUNSIGNED-PAYLOAD");
}

}  // namespace
}  // namespace haul::s3
