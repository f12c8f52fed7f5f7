// Component tests of PUT / GET / HEAD / DELETE / list (handlers_objects.cpp)
// through serve_request, a fake exchange and a memory store: no sockets, no
// files. Includes the two promises a client relies on most: a failure after
// the status line cuts the connection (never a clean short response), and a
// store that fails mid-upload leaves nothing visible and the previous
// version intact.
#include <gtest/gtest.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "crypto/md5.hpp"
#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"
#include "gateway/handlers.hpp"
#include "gateway/testing/harness.hpp"

namespace haul::gateway::testing {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint64_t kSealedSeg = kSeg + crypto::kTagSize;

std::string cut_count(GatewayContext& ctx, const char* reason) {
  const std::string text = ctx.metrics.render();
  const std::string name = std::string("haul_responses_cut_total{reason=\"") + reason + "\"} ";
  const size_t at = text.find(name);
  return at == std::string::npos ? "absent" : text.substr(at + name.size(), text.find('\n', at) - at - name.size());
}

class ObjectsTest : public ::testing::Test {
 protected:
  // PUT through the handler, the body fed `piece` bytes at a time.
  void put(const std::string& key, const Bytes& body, size_t piece = 0) {
    FakeRequest r = TestGateway::request("PUT", "/v1/objects/" + key, body);
    r.piece = piece;
    auto ex = gw_.call(std::move(r));
    ASSERT_EQ(ex->status(), 201) << ex->body_text();
  }
  std::unique_ptr<FakeExchange> get(const std::string& key, const std::string& range = "") {
    FakeRequest r = TestGateway::request("GET", "/v1/objects/" + key);
    if (!range.empty()) r.headers.emplace_back("Range", range);
    return gw_.call(std::move(r));
  }
  // Flips one stored body byte of key.
  void damage(const std::string& key, uint64_t body_offset) {
    auto o = gw_.store().object(key).value();
    o.body.at(body_offset) ^= 0x01;
    gw_.store().put_object(key, o);
  }

  TestGateway gw_;
};

TEST_F(ObjectsTest, PutThenGetRoundTripsAtEveryChunking) {
  const Bytes plain = crypto::test::pattern(3 * kSeg + 17);
  for (size_t piece : {size_t{7}, size_t{kSeg - 1}, size_t{kSeg}, size_t{kSeg + 1}, size_t{0}}) {
    put("obj", plain, piece);
    auto ex = get("obj");
    EXPECT_EQ(ex->status(), 200);
    EXPECT_TRUE(ex->complete());
    EXPECT_FALSE(ex->was_cut());
    EXPECT_EQ(ex->body(), plain) << piece;
    EXPECT_EQ(ex->announced_length(), plain.size());
  }
  // One byte at a time through the whole stack.
  const Bytes small = crypto::test::pattern(kSeg + 3, 9);
  put("one-byte", small, 1);
  EXPECT_EQ(get("one-byte")->body(), small);
}

TEST_F(ObjectsTest, PutAnswersSizeAndDigestAndStoresCiphertext) {
  const Bytes plain = crypto::test::pattern(1000);
  auto ex = gw_.call("PUT", "/v1/objects/a/b.bin", plain);
  ASSERT_EQ(ex->status(), 201);
  auto j = json_of(*ex);
  EXPECT_EQ(j["key"], "a/b.bin");
  EXPECT_EQ(j["size"], 1000);
  EXPECT_EQ(j["sha256"], crypto::sha256_hex(plain));
  auto stored = gw_.store().object("a/b.bin").value();
  EXPECT_EQ(stored.header.size(), crypto::kMinHeaderSizeV3);  // format 3, no metadata
  EXPECT_EQ(crypto::decode_header(stored.header).version, crypto::kFormatVersion3);
  EXPECT_EQ(stored.body.size(), (crypto::Layout{kSeg, crypto::kTrailerSizeV3}.body_size(plain.size())));
  EXPECT_EQ(std::search(stored.body.begin(), stored.body.end(), plain.begin(), plain.begin() + 32), stored.body.end());
}

TEST_F(ObjectsTest, EmptyObject) {
  put("empty", {});
  auto ex = get("empty");
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->announced_length(), 0u);
  EXPECT_TRUE(ex->body().empty());
  EXPECT_TRUE(ex->complete());
}

TEST_F(ObjectsTest, RangesAnd416) {
  const Bytes plain = crypto::test::pattern(5 * kSeg + 100);
  put("r", plain);
  struct Case {
    std::string range;
    uint64_t first, last;
  };
  const uint64_t n = plain.size();
  for (const Case& c : {Case{"bytes=0-0", 0, 0}, Case{"bytes=10-20", 10, 20},
                        Case{"bytes=" + std::to_string(kSeg - 1) + "-" + std::to_string(2 * kSeg), kSeg - 1, 2 * kSeg},
                        Case{"bytes=100-", 100, n - 1}, Case{"bytes=-5", n - 5, n - 1},
                        Case{"bytes=-99999999", 0, n - 1}, Case{"bytes=10-99999999", 10, n - 1}}) {
    auto ex = get("r", c.range);
    EXPECT_EQ(ex->status(), 206) << c.range;
    EXPECT_EQ(ex->header("Content-Range"),
              "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/" + std::to_string(n))
        << c.range;
    EXPECT_EQ(ex->body(),
              Bytes(plain.begin() + static_cast<long>(c.first), plain.begin() + static_cast<long>(c.last) + 1))
        << c.range;
  }
  auto beyond = get("r", "bytes=" + std::to_string(n) + "-");
  EXPECT_EQ(beyond->status(), 416);
  EXPECT_EQ(beyond->header("Content-Range"), "bytes */" + std::to_string(n));
  EXPECT_EQ(json_of(*beyond)["error"], "range_not_satisfiable");
  auto malformed = get("r", "bytes=abc");
  EXPECT_EQ(malformed->status(), 400);
  EXPECT_EQ(json_of(*malformed)["error"], "bad_request");
}

TEST_F(ObjectsTest, HeadCarriesDigestAndNoBody) {
  const Bytes plain = crypto::test::pattern(70'000);
  put("h", plain);
  auto ex = gw_.call("HEAD", "/v1/objects/h");
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->announced_length(), plain.size());
  EXPECT_TRUE(ex->body().empty());
  EXPECT_EQ(ex->header("X-Haul-Sha256"), crypto::sha256_hex(plain));
  EXPECT_EQ(ex->header("X-Haul-Format"), "3");
  EXPECT_EQ(ex->header("ETag"), get("h")->header("ETag"));
  // A GET of a small whole object carries the digest too (no HEAD needed);
  // a part of it does not.
  EXPECT_EQ(get("h")->header("X-Haul-Sha256"), crypto::sha256_hex(plain));
  EXPECT_EQ(get("h", "bytes=0-9")->header("X-Haul-Sha256"), "");
  auto missing = gw_.call("HEAD", "/v1/objects/nope");
  EXPECT_EQ(missing->status(), 404);
  EXPECT_TRUE(missing->body().empty());            // HEAD: no body, even for errors
  EXPECT_NE(missing->header("X-Haul-Error"), "");  // but the reason, in a header
}

// Objects of every format are served: a format-2 one (52-byte header,
// 56-byte trailer) as before, and a format-3 one whose trailer holds no
// SHA-256 (an S3 multipart upload's) without X-Haul-Sha256.
TEST_F(ObjectsTest, OlderFormatsAndTrailersWithoutSha256) {
  const Bytes plain = crypto::test::pattern(3 * kSeg + 5);
  auto seal = [&](const std::string& key, uint8_t version, bool with_sha) {
    auto header = crypto::new_header(gw_.ctx().keys.newest());
    header.version = version;
    crypto::ObjectCipher cipher(gw_.ctx().keys, header, object_identity(gw_.ctx(), "default", key));
    crypto::StreamEncryptor enc(cipher);
    crypto::ObjectCipher::TrailerContents totals{plain.size(), std::nullopt, crypto::Md5Digest{1}, 2};
    if (!with_sha) enc.set_object_totals(totals);
    MemoryStore::Object o;
    o.header = crypto::encode_header(header);
    enc.update(plain, o.body);
    enc.finish(o.body);
    gw_.store().put_object(key, o);
  };
  seal("v2", crypto::kFormatVersion2, true);
  seal("no-sha", crypto::kFormatVersion3, false);
  auto v2 = gw_.call("HEAD", "/v1/objects/v2");
  EXPECT_EQ(v2->status(), 200);
  EXPECT_EQ(v2->header("X-Haul-Format"), "2");
  EXPECT_EQ(v2->header("X-Haul-Sha256"), crypto::sha256_hex(plain));
  EXPECT_EQ(v2->announced_length(), plain.size());
  EXPECT_EQ(get("v2")->body(), plain);
  EXPECT_EQ(get("v2", "bytes=-100")->body(), Bytes(plain.end() - 100, plain.end()));
  auto no_sha = gw_.call("HEAD", "/v1/objects/no-sha");
  EXPECT_EQ(no_sha->status(), 200);
  EXPECT_EQ(no_sha->header("X-Haul-Format"), "3");
  EXPECT_EQ(no_sha->header("X-Haul-Sha256"), "");  // absent
  EXPECT_EQ(get("no-sha")->header("X-Haul-Sha256"), "");
  EXPECT_EQ(get("v2")->header("X-Haul-Sha256"), crypto::sha256_hex(plain));
  EXPECT_EQ(no_sha->announced_length(), plain.size());
  EXPECT_EQ(get("no-sha", "bytes=-100")->body(), Bytes(plain.end() - 100, plain.end()));
  // A listing with headers (fs, memory) sizes each format exactly, though
  // their trailers differ by 21 bytes and this body size fits both.
  auto list = json_of(*gw_.call("GET", "/v1/objects"));
  ASSERT_EQ(list["objects"].size(), 2u);
  EXPECT_EQ(list["objects"][0]["size"], plain.size());
  EXPECT_EQ(list["objects"][1]["size"], plain.size());
}

TEST_F(ObjectsTest, DeleteThenNotFound) {
  put("d", crypto::test::pattern(10));
  EXPECT_EQ(gw_.call("DELETE", "/v1/objects/d")->status(), 204);
  EXPECT_EQ(gw_.store().object_count(), 0u);
  EXPECT_EQ(get("d")->status(), 404);
  auto again = gw_.call("DELETE", "/v1/objects/d");
  EXPECT_EQ(again->status(), 404);
  EXPECT_EQ(json_of(*again)["error"], "not_found");
}

std::string gunzip(const std::vector<uint8_t>& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = const_cast<Bytef*>(gz.data());
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST_F(ObjectsTest, ListingInGzipWhenAcceptedAndWorthIt) {
  for (int i = 0; i < 300; ++i) put("tree/file-" + std::to_string(1000 + i), crypto::test::pattern(10));
  auto plain = gw_.call("GET", "/v1/objects?prefix=tree/");
  ASSERT_EQ(plain->status(), 200);
  EXPECT_EQ(plain->header("Content-Encoding"), "");
  EXPECT_EQ(plain->header("Vary"), "Accept-Encoding");
  const std::string text(plain->body().begin(), plain->body().end());

  FakeRequest r = TestGateway::request("GET", "/v1/objects?prefix=tree/");
  r.headers.emplace_back("Accept-Encoding", "gzip, deflate");  // python-requests
  auto gz = gw_.call(std::move(r));
  ASSERT_EQ(gz->status(), 200);
  EXPECT_EQ(gz->header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->content_type(), "application/json");
  EXPECT_LT(gz->body().size() * 5, text.size());  // ~17 KB of JSON
  EXPECT_EQ(gunzip(gz->body()), text);

  // Refused, or a page too small to gain: as it is.
  FakeRequest no = TestGateway::request("GET", "/v1/objects?prefix=tree/");
  no.headers.emplace_back("Accept-Encoding", "gzip;q=0, identity");
  EXPECT_EQ(gw_.call(std::move(no))->header("Content-Encoding"), "");
  FakeRequest tiny = TestGateway::request("GET", "/v1/objects?prefix=tree/&limit=2");
  tiny.headers.emplace_back("Accept-Encoding", "gzip");
  auto small = gw_.call(std::move(tiny));
  EXPECT_EQ(small->header("Content-Encoding"), "");
  EXPECT_EQ(json_of(*small)["objects"].size(), 2u);
}

TEST_F(ObjectsTest, ListPagesByPrefix) {
  for (const char* key : {"a/1", "a/2", "a/3", "b/1"}) put(key, crypto::test::pattern(100));
  auto first = gw_.call("GET", "/v1/objects?prefix=a/&limit=2");
  ASSERT_EQ(first->status(), 200);
  auto j = json_of(*first);
  ASSERT_EQ(j["objects"].size(), 2u);
  EXPECT_EQ(j["objects"][0]["key"], "a/1");
  EXPECT_EQ(j["objects"][0]["size"], 100);  // plaintext size, not the stored one
  EXPECT_EQ(j["next_after"], "a/2");
  auto rest = json_of(*gw_.call("GET", "/v1/objects?prefix=a/&limit=2&after=a/2"));
  ASSERT_EQ(rest["objects"].size(), 1u);
  EXPECT_EQ(rest["objects"][0]["key"], "a/3");
  EXPECT_TRUE(rest["next_after"].is_null());
  EXPECT_EQ(gw_.call("GET", "/v1/objects?limit=0")->status(), 400);
  EXPECT_EQ(gw_.call("GET", "/v1/objects?limit=x")->status(), 400);
  EXPECT_EQ(gw_.call("POST", "/v1/objects")->status(), 405);
}

TEST_F(ObjectsTest, RefusedBeforeAnyWork) {
  FakeRequest no_token;
  no_token.method = "GET";
  no_token.target = "/v1/objects/x";
  auto ex = gw_.call(no_token);
  EXPECT_EQ(ex->status(), 401);
  EXPECT_EQ(json_of(*ex)["error"], "unauthorized");
  EXPECT_EQ(gw_.store().calls().opens, 0u);
  EXPECT_EQ(gw_.call("PATCH", "/v1/objects/x")->status(), 405);
  EXPECT_EQ(gw_.call("PUT", "/v1/objects/x?store=elsewhere", {1})->status(), 400);
  EXPECT_EQ(gw_.call("PUT", "/v1/objects/a/../b", {1})->status(), 400);
  EXPECT_EQ(gw_.call("GET", "/nope")->status(), 404);
  EXPECT_EQ(gw_.store().object_count(), 0u);
}

// --- uploads that fail: nothing visible, the previous version intact -------

class FailedPutTest : public ObjectsTest {
 protected:
  void SetUp() override {
    put("k", before_);
    before_stored_ = gw_.store().object("k").value().body;
  }
  void expect_previous_version_intact() {
    EXPECT_EQ(gw_.store().object_count(), 1u);
    EXPECT_EQ(gw_.store().object("k").value().body, before_stored_);
    EXPECT_EQ(get("k")->body(), before_);
  }
  const Bytes before_ = crypto::test::pattern(2 * kSeg + 5, 1);
  const Bytes after_ = crypto::test::pattern(3 * 1024 * 1024, 2);  // several store writes
  Bytes before_stored_;
};

TEST_F(FailedPutTest, StoreWriteFailsMidUpload) {
  StoreFaults f;
  f.write = gw_.store().calls().writes + 2;  // the second write of this upload, mid-body
  gw_.store().set_faults(f);
  FakeRequest r = TestGateway::request("PUT", "/v1/objects/k", after_);
  r.piece = 256 * 1024;  // as the session reads bodies
  auto ex = gw_.call(std::move(r));
  EXPECT_LT(ex->body_bytes_read(), after_.size());  // it failed before the body's end
  EXPECT_EQ(ex->status(), 507);                     // io
  EXPECT_EQ(json_of(*ex)["error"], "io");
  EXPECT_FALSE(ex->was_cut());
  gw_.store().set_faults({});
  expect_previous_version_intact();
}

TEST_F(FailedPutTest, StoreCommitFails) {
  StoreFaults f;
  f.commit = gw_.store().calls().commits + 1;
  f.kind = ErrorKind::backend_unavailable;
  gw_.store().set_faults(f);
  auto ex = gw_.call("PUT", "/v1/objects/k", after_);
  EXPECT_EQ(ex->status(), 502);
  gw_.store().set_faults({});
  expect_previous_version_intact();
}

TEST_F(FailedPutTest, PeerStopsMidBody) {
  FakeRequest r = TestGateway::request("PUT", "/v1/objects/k", after_);
  r.piece = 100'000;
  r.peer_stops_after = 1'500'000;
  auto ex = gw_.call(std::move(r));
  EXPECT_EQ(ex->status(), 400);
  EXPECT_TRUE(ex->must_close());
  expect_previous_version_intact();
}

// --- downloads that fail after the status line: a cut, never a clean end -----

TEST_F(ObjectsTest, IntegrityFailureAfterTheStatusLineCutsTheConnection) {
  const Bytes plain = crypto::test::pattern(16 * kSeg);
  put("big", plain);
  // The opener authenticates its first store read (256 KiB) before the
  // status line; damage a segment well after it.
  damage("big", 10 * kSealedSeg + 5);
  auto ex = std::make_unique<FakeExchange>(TestGateway::request("GET", "/v1/objects/big"));
  const Served served = gw_.serve(*ex);
  EXPECT_EQ(ex->status(), 200);  // the status line was out
  EXPECT_TRUE(ex->was_cut());
  EXPECT_FALSE(ex->complete());
  EXPECT_TRUE(served.lost);
  EXPECT_EQ(served.failure_status, 500);
  EXPECT_EQ(cut_count(gw_.ctx(), "failed"), "1");
  // What did arrive is a true prefix, and short of the announced length.
  EXPECT_LT(ex->body().size(), 10 * kSeg + 1);
  EXPECT_GE(ex->body().size(), 4 * kSeg);
  EXPECT_TRUE(std::equal(ex->body().begin(), ex->body().end(), plain.begin()));
}

TEST_F(ObjectsTest, IntegrityFailureBeforeTheStatusLineIsAnError) {
  put("x", crypto::test::pattern(3 * kSeg));
  damage("x", 7);
  auto ex = get("x");
  EXPECT_EQ(ex->status(), 500);
  EXPECT_EQ(json_of(*ex)["error"], "integrity");
  EXPECT_FALSE(ex->was_cut());
  EXPECT_EQ(cut_count(gw_.ctx(), "failed"), "0");
}

TEST_F(ObjectsTest, StoreFailingMidBodyCutsTheConnection) {
  put("s", crypto::test::pattern(16 * kSeg));
  StoreFaults f;
  f.throw_after = 6 * kSealedSeg;
  f.kind = ErrorKind::backend_unavailable;
  gw_.store().set_faults(f);
  auto ex = get("s");
  EXPECT_EQ(ex->status(), 200);
  EXPECT_TRUE(ex->was_cut());
  EXPECT_EQ(ex->body().size(), 6 * kSeg);  // every authenticated segment before the failure
  EXPECT_EQ(cut_count(gw_.ctx(), "failed"), "1");
}

TEST_F(ObjectsTest, BodyEndingEarlyCutsTheConnection) {
  put("short", crypto::test::pattern(16 * kSeg));
  StoreFaults f;
  f.short_read_after = 9 * kSealedSeg + 100;  // the store's body ends early
  gw_.store().set_faults(f);
  auto ex = get("short");
  EXPECT_EQ(ex->status(), 200);
  EXPECT_TRUE(ex->was_cut());
  EXPECT_FALSE(ex->complete());
  EXPECT_LE(ex->body().size(), 9 * kSeg);
}

TEST_F(ObjectsTest, StoreReadFailingFirstIsAnErrorAnswer) {
  put("f", crypto::test::pattern(10));
  StoreFaults f;
  f.read = gw_.store().calls().reads + 1;
  gw_.store().set_faults(f);
  auto ex = get("f");
  EXPECT_EQ(ex->status(), 507);  // io
  EXPECT_EQ(json_of(*ex)["error"], "io");
  EXPECT_FALSE(ex->was_cut());
}

TEST_F(ObjectsTest, PeerLeavingMidDownloadIsLostNotFailed) {
  put("p", crypto::test::pattern(8 * kSeg));
  FakeRequest r = TestGateway::request("GET", "/v1/objects/p");
  r.peer_takes = 100'000;
  FakeExchange ex(std::move(r));
  const Served served = gw_.serve(ex);
  EXPECT_TRUE(served.lost);
  EXPECT_FALSE(served.failure_status);  // nothing to log or answer: the client left
  EXPECT_EQ(ex.body().size(), 100'000u);
  EXPECT_EQ(cut_count(gw_.ctx(), "failed"), "0");
}

TEST_F(ObjectsTest, SeedDownloadIsTheSameObject) {
  const Bytes plain = crypto::test::pattern(300);
  put("reports/1M.data", plain);
  EXPECT_EQ(gw_.call("GET", "/download/files?key=reports%2F1M.data")->body(), plain);
  EXPECT_EQ(gw_.call("GET", "/download/files")->status(), 400);
  EXPECT_EQ(gw_.call("PUT", "/download/files?key=x")->status(), 405);
}

}  // namespace
}  // namespace haul::gateway::testing
