// The S3 API through serve_request over a fake exchange and a memory store:
// requests signed with haul's own SigV4 signer (s3/sigv4.hpp), the store's
// faults injected. No sockets; the real clients are in
// tests/integration/test_s3_api.py.
#include <gtest/gtest.h>

#include <chrono>

#include "crypto/md5.hpp"
#include "crypto/sha256.hpp"
#include "gateway/s3_state.hpp"
#include "gateway/testing/harness.hpp"
#include "s3/sigv4.hpp"

namespace haul::gateway {
namespace {

using testing::bytes_of;
using testing::FakeExchange;
using testing::FakeRequest;
using testing::TestGateway;

constexpr const char* kAccessKey = "AKCOMPONENT000000001";
constexpr const char* kSecret = "component-secret";

class S3Front : public ::testing::Test {
 protected:
  S3Front() {
    auto& ctx = gw_.ctx();
    ctx.s3 =
        std::make_shared<S3State>(s3::S3Credentials::parse(std::string(kAccessKey) + ":" + kSecret + "\n"),
                                  BucketBook::Args{gw_.store(), ctx.keys, ctx.config.stores.front().id, ctx.metrics});
  }

  // A request signed like an SDK signs it, over `body` (payload hash
  // `claimed`, else the body's own SHA-256).
  static FakeRequest signed_request(const std::string& method, const std::string& path, std::vector<uint8_t> body,
                                    std::string claimed = {}, const char* secret = kSecret) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string date = s3::amz_date(now);
    if (claimed.empty()) claimed = crypto::sha256_hex(body);
    s3::SigningRequest sr{
        method, path, {}, {{"host", "gw"}, {"x-amz-content-sha256", claimed}, {"x-amz-date", date}}, claimed};
    const auto auth = s3::authorization({kAccessKey, secret, ""}, {date, "us-east-1", "s3"}, sr);
    FakeRequest r;
    r.method = method;
    r.target = path;
    r.body = std::move(body);
    r.headers = {{"Host", "gw"}, {"x-amz-content-sha256", claimed}, {"x-amz-date", date}, {"Authorization", auth}};
    return r;
  }

  std::unique_ptr<FakeExchange> call(const std::string& method, const std::string& path,
                                     std::vector<uint8_t> body = {}) {
    return gw_.call(signed_request(method, path, std::move(body)));
  }

  static std::string text(const FakeExchange& ex) { return {ex.body().begin(), ex.body().end()}; }

  TestGateway gw_;
};

TEST_F(S3Front, PutGetHeadDeleteThroughTheBucketPrefix) {
  ASSERT_EQ(call("PUT", "/photos")->status(), 200);
  const auto body = bytes_of("hello through the S3 API");
  auto put = call("PUT", "/photos/a/b.txt", body);
  ASSERT_EQ(put->status(), 200) << text(*put);
  EXPECT_EQ(put->header("ETag"), "\"" + crypto::md5_hex(body) + "\"");
  EXPECT_FALSE(put->header("x-amz-request-id").empty());
  // Stored as the native key "photos/a/b.txt", sealed: not the plaintext.
  auto stored = gw_.store().object("photos/a/b.txt");
  ASSERT_TRUE(stored);
  EXPECT_EQ(std::search(stored->body.begin(), stored->body.end(), body.begin(), body.end()), stored->body.end());
  auto get = call("GET", "/photos/a/b.txt");
  EXPECT_EQ(get->status(), 200);
  EXPECT_EQ(get->body(), body);
  EXPECT_EQ(get->header("ETag"), put->header("ETag"));
  auto head = call("HEAD", "/photos/a/b.txt");
  EXPECT_EQ(head->status(), 200);
  EXPECT_EQ(head->announced_length(), body.size());
  EXPECT_EQ(head->header("ETag"), put->header("ETag"));
  EXPECT_EQ(call("DELETE", "/photos/a/b.txt")->status(), 204);
  auto gone = call("GET", "/photos/a/b.txt");
  EXPECT_EQ(gone->status(), 404);
  EXPECT_NE(text(*gone).find("<Code>NoSuchKey</Code>"), std::string::npos);
}

TEST_F(S3Front, AGetIsOneStoreReadOnceTheVersionsEtagIsKnown) {
  ASSERT_EQ(call("PUT", "/reads")->status(), 200);
  const auto body = bytes_of("counted reads");
  auto put = call("PUT", "/reads/k", body);
  auto opens = [&] { return gw_.store().calls().opens; };
  uint64_t before = opens();
  auto get = call("GET", "/reads/k");
  EXPECT_EQ(get->body(), body);
  EXPECT_EQ(get->header("ETag"), put->header("ETag"));
  EXPECT_EQ(opens() - before, 1u);  // the gateway that wrote it knows its ETag
  // A gateway that never saw the version reads its trailer once, then not again.
  auto& ctx = gw_.ctx();
  ctx.s3 =
      std::make_shared<S3State>(s3::S3Credentials::parse(std::string(kAccessKey) + ":" + kSecret + "\n"),
                                BucketBook::Args{gw_.store(), ctx.keys, ctx.config.stores.front().id, ctx.metrics});
  before = opens();
  EXPECT_EQ(call("GET", "/reads/k")->header("ETag"), put->header("ETag"));
  EXPECT_EQ(opens() - before, 2u);  // the range, then the trailer
  before = opens();
  EXPECT_EQ(call("GET", "/reads/k")->body(), body);
  EXPECT_EQ(opens() - before, 1u);
}

TEST_F(S3Front, AWrongPayloadHashOrSecretStoresNothing) {
  ASSERT_EQ(call("PUT", "/bucket1")->status(), 200);
  const size_t before = gw_.store().object_count();
  auto lying = gw_.call(signed_request("PUT", "/bucket1/k", bytes_of("real"), crypto::sha256_hex(bytes_of("fake"))));
  EXPECT_EQ(lying->status(), 400);
  EXPECT_NE(text(*lying).find("XAmzContentSHA256Mismatch"), std::string::npos);
  auto wrong = gw_.call(signed_request("PUT", "/bucket1/k", bytes_of("x"), {}, "not-the-secret"));
  EXPECT_EQ(wrong->status(), 403);
  EXPECT_NE(text(*wrong).find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(gw_.store().object_count(), before);
}

TEST_F(S3Front, AStoreFailureIsServiceUnavailableAndNothingIsStored) {
  ASSERT_EQ(call("PUT", "/bucket2")->status(), 200);
  const size_t before = gw_.store().object_count();
  testing::StoreFaults faults;
  faults.commit = gw_.store().calls().commits + 1;
  faults.kind = ErrorKind::backend_unavailable;
  gw_.store().set_faults(faults);
  auto put = call("PUT", "/bucket2/k", bytes_of("data"));
  EXPECT_EQ(put->status(), 503);
  EXPECT_NE(text(*put).find("<Code>ServiceUnavailable</Code>"), std::string::npos);
  EXPECT_EQ(gw_.store().object_count(), before);
}

TEST_F(S3Front, MissingBucketsAndKeysAreTold) {
  auto no_bucket = call("PUT", "/nowhere/k", bytes_of("x"));
  EXPECT_EQ(no_bucket->status(), 404);
  EXPECT_NE(text(*no_bucket).find("<Code>NoSuchBucket</Code>"), std::string::npos);
  ASSERT_EQ(call("PUT", "/somewhere")->status(), 200);
  auto dots = call("PUT", "/somewhere/a/../b", bytes_of("x"));
  EXPECT_EQ(dots->status(), 400);
  EXPECT_NE(text(*dots).find("<Code>InvalidArgument</Code>"), std::string::npos);
}

TEST_F(S3Front, OffWithoutCredentialsTheNativeAnswerStays) {
  gw_.ctx().s3.reset();
  auto r = gw_.call("GET", "/bucket/key");
  EXPECT_EQ(r->status(), 404);
  EXPECT_NE(text(*r).find("\"not_found\""), std::string::npos);
}

}  // namespace
}  // namespace haul::gateway
