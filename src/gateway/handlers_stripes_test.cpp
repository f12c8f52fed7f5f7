// Component tests of striped uploads (handlers_stripes.cpp) through
// serve_request, a fake exchange and a memory store: stripes in any order,
// 202 until the last, which seals the object; nothing reaches the store
// before every stripe is in and the whole digest matches.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/stripes.hpp"
#include "crypto/sha256.hpp"
#include "crypto/test_support.hpp"
#include "gateway/testing/harness.hpp"

namespace haul::gateway::testing {
namespace {

using Bytes = std::vector<uint8_t>;

class StripesTest : public ::testing::Test {
 protected:
  std::string target(const std::string& key, uint32_t i, uint32_t k, uint64_t size, const std::string& sha,
                     const std::string& upload = "upload-0001") {
    return "/v1/objects/" + key + "?upload=" + upload + "&stripe=" + std::to_string(i) +
           "&stripes=" + std::to_string(k) + "&size=" + std::to_string(size) + "&sha256=" + sha;
  }
  std::unique_ptr<FakeExchange> stripe(const std::string& key, const Bytes& plain, uint32_t i, uint32_t k,
                                       const std::string& sha, size_t piece = 0) {
    const StripeLayout l = stripe_layout(plain.size(), k);
    Bytes body(plain.begin() + static_cast<long>(l.offset(i)),
               plain.begin() + static_cast<long>(l.offset(i) + l.length(i)));
    FakeRequest r = TestGateway::request("PUT", target(key, i, k, plain.size(), sha), std::move(body));
    r.piece = piece;
    return gw_.call(std::move(r));
  }

  TestGateway gw_;
};

TEST_F(StripesTest, StripesInAnyOrderSealOneObject) {
  const Bytes plain = crypto::test::pattern(100'000);
  const std::string sha = crypto::sha256_hex(plain);
  const uint32_t k = 5;
  const std::vector<uint32_t> order = {3, 0, 4, 2, 1};
  for (size_t i = 0; i < order.size(); ++i) {
    auto ex = stripe("s/obj", plain, order[i], k, sha, order[i] == 2 ? 1 : 0);
    auto j = json_of(*ex);
    EXPECT_EQ(j["stored"], i + 1);
    if (i + 1 < order.size()) {
      EXPECT_EQ(ex->status(), 202) << ex->body_text();
      EXPECT_EQ(gw_.store().object_count(), 0u);  // nothing before the last stripe
    } else {
      EXPECT_EQ(ex->status(), 201) << ex->body_text();
      EXPECT_EQ(j["sha256"], sha);
      EXPECT_EQ(j["size"], plain.size());
    }
    const StripeLayout l = stripe_layout(plain.size(), k);
    EXPECT_EQ(j["stripe_sha256"], crypto::sha256_hex(std::span(plain).subspan(l.offset(order[i]), l.length(order[i]))));
  }
  EXPECT_EQ(gw_.call("GET", "/v1/objects/s/obj")->body(), plain);
  EXPECT_EQ(gw_.ctx().stripes.open_uploads(), 0u);
  EXPECT_EQ(gw_.ctx().metrics.striped_uploads_completed.load(), 1u);
}

TEST_F(StripesTest, AWrongWholeDigestStoresNothing) {
  const Bytes plain = crypto::test::pattern(10'000);
  const std::string wrong = crypto::sha256_hex(std::string_view("something else"));
  EXPECT_EQ(stripe("w", plain, 0, 2, wrong)->status(), 202);
  auto last = stripe("w", plain, 1, 2, wrong);
  EXPECT_EQ(last->status(), 400);
  EXPECT_NE(json_of(*last)["message"].get<std::string>().find("nothing stored"), std::string::npos);
  EXPECT_EQ(gw_.store().object_count(), 0u);
}

TEST_F(StripesTest, BadStripesAreRefused) {
  const Bytes plain = crypto::test::pattern(10'000);
  const std::string sha = crypto::sha256_hex(plain);
  // A stripe of the wrong length, a stripe sent twice, another layout under the same id.
  FakeRequest wrong_length = TestGateway::request("PUT", target("b", 0, 2, plain.size(), sha), Bytes(10));
  EXPECT_EQ(gw_.call(std::move(wrong_length))->status(), 400);
  EXPECT_EQ(stripe("b", plain, 0, 2, sha)->status(), 202);
  EXPECT_EQ(stripe("b", plain, 0, 2, sha)->status(), 409);
  EXPECT_EQ(stripe("b", plain, 1, 3, sha)->status(), 409);
  FakeRequest no_length = TestGateway::request("PUT", target("b", 1, 2, plain.size(), sha), Bytes(10));
  no_length.chunked = true;
  EXPECT_EQ(gw_.call(std::move(no_length))->status(), 411);
  EXPECT_EQ(gw_.call("PUT", target("b", 2, 2, plain.size(), sha), Bytes(10))->status(), 400);
  EXPECT_EQ(gw_.call("PUT", target("b", 0, 2, plain.size(), sha, "short"), Bytes(10))->status(), 400);
  EXPECT_EQ(gw_.store().object_count(), 0u);
}

TEST_F(StripesTest, AStripeCutShortCanBeSentAgain) {
  const Bytes plain = crypto::test::pattern(10'000);
  const std::string sha = crypto::sha256_hex(plain);
  const StripeLayout l = stripe_layout(plain.size(), 2);
  FakeRequest r = TestGateway::request("PUT", target("c", 0, 2, plain.size(), sha),
                                       Bytes(plain.begin(), plain.begin() + static_cast<long>(l.length(0))));
  r.peer_stops_after = 100;
  EXPECT_EQ(gw_.call(std::move(r))->status(), 400);
  EXPECT_EQ(stripe("c", plain, 0, 2, sha)->status(), 202);  // released, so not a duplicate
  EXPECT_EQ(stripe("c", plain, 1, 2, sha)->status(), 201);
  EXPECT_EQ(gw_.call("GET", "/v1/objects/c")->body(), plain);
}

TEST_F(StripesTest, StoreFailingAtTheSealStoresNothing) {
  const Bytes plain = crypto::test::pattern(10'000);
  const std::string sha = crypto::sha256_hex(plain);
  StoreFaults f;
  f.commit = 1;
  gw_.store().set_faults(f);
  EXPECT_EQ(stripe("f", plain, 0, 2, sha)->status(), 202);
  EXPECT_EQ(stripe("f", plain, 1, 2, sha)->status(), 507);
  EXPECT_EQ(gw_.store().object_count(), 0u);
  EXPECT_EQ(gw_.ctx().stripes.open_uploads(), 0u);  // the buffer is not held on
}

}  // namespace
}  // namespace haul::gateway::testing
