// Component tests of the two upload APIs beside PUT: the seed's multipart
// POST /upload/files (handlers_seed.cpp) and the parts API create / part /
// complete / abort (handlers_uploads.cpp), through serve_request, a fake
// exchange and a memory store.
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"
#include "gateway/testing/harness.hpp"
#include "gateway/upload_token.hpp"

namespace haul::gateway::testing {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes json_body(const nlohmann::json& j) {
  return bytes_of(j.dump());
}

// --- POST /upload/files --------------------------------------------------------

// The body python-requests sends for files={"data": (..json..), "file": (..)}.
Bytes seed_form(const std::string& data_json, const Bytes& file, bool file_first = false) {
  const std::string data_part =
      "--XyZ\r\nContent-Disposition: form-data; name=\"data\"\r\nContent-Type: application/json\r\n\r\n" + data_json +
      "\r\n";
  const std::string file_head = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n";
  Bytes body;
  auto add = [&](std::string_view s) { body.insert(body.end(), s.begin(), s.end()); };
  if (!file_first) add(data_part);
  add(file_head);
  body.insert(body.end(), file.begin(), file.end());
  add("\r\n");
  if (file_first) add(data_part);
  add("--XyZ--\r\n");
  return body;
}

FakeRequest seed_request(Bytes body, size_t piece = 0) {
  FakeRequest r = TestGateway::request("POST", "/upload/files", std::move(body));
  r.headers.emplace_back("Content-Type", "multipart/form-data; boundary=XyZ");
  r.piece = piece;
  return r;
}

TEST(SeedUpload, StreamsTheFilePartIntoAnObjectAtAnyChunking) {
  const Bytes file = crypto::test::pattern(2 * kSeg + 9);
  for (size_t piece : {size_t{1}, size_t{13}, size_t{4096}, size_t{0}}) {
    TestGateway gw;
    auto ex = gw.call(seed_request(seed_form(R"({"key": "reports/1M.data"})", file), piece));
    ASSERT_EQ(ex->status(), 201) << piece << " " << ex->body_text();
    auto j = json_of(*ex);
    EXPECT_EQ(j["key"], "reports/1M.data");
    EXPECT_EQ(j["size"], file.size());
    EXPECT_EQ(j["sha256"], crypto::sha256_hex(file));
    EXPECT_EQ(gw.call("GET", "/download/files?key=reports%2F1M.data")->body(), file) << piece;
  }
}

TEST(SeedUpload, RefusesBadFormsAndStoresNothing) {
  TestGateway gw;
  const Bytes file = crypto::test::pattern(100);
  struct Case {
    const char* why;
    FakeRequest request;
  };
  FakeRequest no_boundary = TestGateway::request("POST", "/upload/files", seed_form(R"({"key":"a"})", file));
  std::vector<Case> cases;
  cases.push_back({"file before data", seed_request(seed_form(R"({"key":"a"})", file, true))});
  cases.push_back({"data not JSON", seed_request(seed_form("{nope", file))});
  cases.push_back({"no key", seed_request(seed_form(R"({"name":"a"})", file))});
  cases.push_back({"bad key", seed_request(seed_form(R"({"key":"../a"})", file))});
  cases.push_back({"no multipart", no_boundary});
  Bytes truncated = seed_form(R"({"key":"a"})", file);
  truncated.erase(truncated.end() - 9, truncated.end());  // no closing boundary
  cases.push_back({"truncated", seed_request(truncated)});
  for (auto& c : cases) {
    auto ex = gw.call(std::move(c.request));
    EXPECT_EQ(ex->status(), 400) << c.why << ": " << ex->body_text();
    EXPECT_EQ(json_of(*ex)["error"], "bad_request") << c.why;
  }
  EXPECT_EQ(gw.call("GET", "/upload/files")->status(), 405);
  EXPECT_EQ(gw.store().object_count(), 0u);
}

TEST(SeedUpload, StoreFailingMidFileLeavesThePreviousVersion) {
  TestGateway gw;
  const Bytes before = crypto::test::pattern(500, 1);
  ASSERT_EQ(gw.call(seed_request(seed_form(R"({"key":"s"})", before)))->status(), 201);
  StoreFaults f;
  f.write = gw.store().calls().writes + 2;
  gw.store().set_faults(f);
  auto ex = gw.call(seed_request(seed_form(R"({"key":"s"})", crypto::test::pattern(3 << 20, 2)), 50'000));
  EXPECT_EQ(ex->status(), 507);
  gw.store().set_faults({});
  EXPECT_EQ(gw.call("GET", "/v1/objects/s")->body(), before);
}

// --- the parts API -------------------------------------------------------------

class PartsTest : public ::testing::Test {
 protected:
  // POST /v1/uploads; the answer's JSON.
  nlohmann::json create(const std::string& key, uint64_t size, uint64_t part_size, int expect = 201) {
    auto ex = gw_.call("POST", "/v1/uploads", json_body({{"key", key}, {"size", size}, {"part_size", part_size}}));
    EXPECT_EQ(ex->status(), expect) << ex->body_text();
    return json_of(*ex);
  }
  std::unique_ptr<FakeExchange> part(const std::string& id, uint32_t n, const Bytes& bytes, size_t piece = 0) {
    FakeRequest r = TestGateway::request("PUT", "/v1/uploads/" + id + "/parts/" + std::to_string(n), bytes);
    r.piece = piece;
    return gw_.call(std::move(r));
  }
  std::unique_ptr<FakeExchange> complete(const std::string& id, const std::string& sha) {
    return gw_.call("POST", "/v1/uploads/" + id + "/complete", json_body({{"sha256", sha}}));
  }
  static Bytes slice(const Bytes& b, uint64_t from, uint64_t n) {
    return Bytes(b.begin() + static_cast<long>(from),
                 b.begin() + static_cast<long>(std::min<uint64_t>(b.size(), from + n)));
  }

  TestGateway gw_;
};

TEST_F(PartsTest, PartsInAnyOrderMakeOneObject) {
  const uint64_t part_size = 2 * kSeg;
  const Bytes plain = crypto::test::pattern(3 * part_size + 1234);
  auto up = create("big/file", plain.size(), part_size);
  EXPECT_EQ(up["part_count"], 4);
  EXPECT_EQ(up["segment_size"], kSeg);
  const std::string id = up["upload_id"];
  for (uint32_t n : {4u, 2u, 1u, 3u}) {
    auto ex = part(id, n, slice(plain, (n - 1) * part_size, part_size), n == 2 ? 1 : 0);
    ASSERT_EQ(ex->status(), 200) << ex->body_text();
    auto j = json_of(*ex);
    EXPECT_EQ(j["part"], n);
    EXPECT_EQ(j["sha256"], crypto::sha256_hex(slice(plain, (n - 1) * part_size, part_size)));
  }
  EXPECT_EQ(gw_.store().object_count(), 0u);  // nothing visible before complete
  auto done = complete(id, crypto::sha256_hex(plain));
  ASSERT_EQ(done->status(), 201) << done->body_text();
  EXPECT_EQ(json_of(*done)["size"], plain.size());
  EXPECT_EQ(gw_.store().open_uploads(), 0u);
  auto got = gw_.call("GET", "/v1/objects/big/file");
  EXPECT_EQ(got->body(), plain);
  EXPECT_EQ(gw_.call("HEAD", "/v1/objects/big/file")->header("X-Haul-Sha256"), crypto::sha256_hex(plain));
}

TEST_F(PartsTest, CreateRefusesBadShapes) {
  create("k", 10, kSeg + 1, 400);  // not a multiple of the segment
  create("k", 10, 0, 400);
  create("k", 10, 6ull << 30, 400);      // over 5 GiB
  create("k", 10001 * kSeg, kSeg, 400);  // over 10000 parts
  // A size near 2^64 must not wrap the part count into something small.
  create("k", UINT64_MAX, kSeg, 400);
  create("k", UINT64_MAX - kSeg + 2, kSeg, 400);
  create("../k", 10, kSeg, 400);
  EXPECT_EQ(gw_.call("POST", "/v1/uploads", bytes_of("{bad"))->status(), 400);
  EXPECT_EQ(gw_.call("POST", "/v1/uploads", bytes_of(R"({"key":"k","size":-1,"part_size":65536})"))->status(), 400);
  EXPECT_EQ(gw_.call("PUT", "/v1/uploads")->status(), 405);
  EXPECT_EQ(gw_.store().open_uploads(), 0u);
}

TEST_F(PartsTest, PartsOfTheWrongSizeOrNumberAreRefused) {
  const std::string id = create("k", 3 * kSeg, kSeg)["upload_id"];
  EXPECT_EQ(part(id, 1, Bytes(kSeg - 1))->status(), 400);
  EXPECT_EQ(part(id, 4, Bytes(kSeg))->status(), 400);
  FakeRequest chunked = TestGateway::request("PUT", "/v1/uploads/" + id + "/parts/1", Bytes(kSeg));
  chunked.chunked = true;
  EXPECT_EQ(gw_.call(std::move(chunked))->status(), 411);
  EXPECT_EQ(gw_.call("POST", "/v1/uploads/" + id + "/parts/1")->status(), 405);
}

TEST_F(PartsTest, ForgedOrForeignIdsAreNotFound) {
  const std::string id = create("k", kSeg, kSeg)["upload_id"];
  // One character inside the tag: the last one also carries padding bits, and
  // a change there only makes the encoding non-canonical ("malformed").
  std::string forged = id;
  char& c = forged[forged.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  auto ex = part(forged, 1, Bytes(kSeg));
  EXPECT_EQ(ex->status(), 404);
  EXPECT_EQ(json_of(*ex)["message"], "forged or damaged upload id");
  auto old = part("v1.eyJraWQiOjN9.AAAA", 1, Bytes(kSeg));
  EXPECT_EQ(old->status(), 404);
  EXPECT_NE(json_of(*old)["message"].get<std::string>().find("older gateway version"), std::string::npos);
  EXPECT_EQ(complete("v2.3.e30.AAAA", std::string(64, '0'))->status(), 404);
}

TEST_F(PartsTest, CompleteWithAMissingPartShowsNothing) {
  const std::string id = create("k", 2 * kSeg, kSeg)["upload_id"];
  ASSERT_EQ(part(id, 1, Bytes(kSeg, 7))->status(), 200);
  auto ex = complete(id, std::string(64, '0'));
  EXPECT_EQ(ex->status(), 409);
  EXPECT_EQ(gw_.store().object_count(), 0u);
  EXPECT_EQ(complete(id, "xyz")->status(), 400);
  EXPECT_EQ(gw_.call("POST", "/v1/uploads/" + id + "/complete", bytes_of("{}"))->status(), 400);
  EXPECT_EQ(gw_.call("DELETE", "/v1/uploads/" + id)->status(), 204);
  EXPECT_EQ(gw_.store().open_uploads(), 0u);
  EXPECT_EQ(part(id, 2, Bytes(kSeg))->status(), 404);  // the store forgot the upload
}

TEST_F(PartsTest, AWrongWholeDigestIsCaughtWhenRead) {
  // The gateway seals the trailer with the client's digest without reading
  // the parts back (docs/api.md); a wrong one is what the object then says.
  const Bytes plain = crypto::test::pattern(kSeg);
  const std::string id = create("k", plain.size(), kSeg)["upload_id"];
  ASSERT_EQ(part(id, 1, plain)->status(), 200);
  ASSERT_EQ(complete(id, std::string(64, 'a'))->status(), 201);
  EXPECT_EQ(gw_.call("HEAD", "/v1/objects/k")->header("X-Haul-Sha256"), std::string(64, 'a'));
}

TEST_F(PartsTest, StoreFailingInAPartLeavesThePartToSendAgain) {
  const Bytes plain = crypto::test::pattern(2 * kSeg);
  const std::string id = create("k", plain.size(), kSeg)["upload_id"];
  StoreFaults f;
  f.commit = gw_.store().calls().commits + 1;
  gw_.store().set_faults(f);
  EXPECT_EQ(part(id, 1, slice(plain, 0, kSeg))->status(), 507);
  gw_.store().set_faults({});
  // The part is sent again, as a client's retry does.
  ASSERT_EQ(part(id, 1, slice(plain, 0, kSeg))->status(), 200);
  ASSERT_EQ(part(id, 2, slice(plain, kSeg, kSeg))->status(), 200);
  ASSERT_EQ(complete(id, crypto::sha256_hex(plain))->status(), 201);
  EXPECT_EQ(gw_.call("GET", "/v1/objects/k")->body(), plain);
}

TEST_F(PartsTest, ExpiredUploadsAreRefused) {
  GatewayConfig config;
  config.upload_expiry = std::chrono::seconds(1);
  TestGateway gw({"default"}, config);
  UploadState state;  // sealed as the gateway would have 10 s ago
  state.store = "default";
  state.key = "k";
  state.size = kSeg;
  state.part_size = kSeg;
  state.header = Bytes(crypto::kFixedHeaderSize);
  state.store_upload_id = gw.store().begin_upload("k", state.header);
  state.created_unix = std::time(nullptr) - 10;
  const std::string id = seal_upload_token(gw.ctx().keys, state);
  auto ex = gw.call("PUT", "/v1/uploads/" + id + "/parts/1", Bytes(kSeg));
  EXPECT_EQ(ex->status(), 404);
  EXPECT_EQ(json_of(*ex)["message"], "upload expired");
}

}  // namespace
}  // namespace haul::gateway::testing
