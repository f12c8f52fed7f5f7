// The S3 store against a real S3 server (Ceph RGW from scripts/ceph-start).
// Runs when HAUL_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are
// set (source DIR/env of ceph-start), skips otherwise:
//   scripts/ceph-start /tmp/ceph && set -a && . /tmp/ceph/env && set +a && haul_s3_store_test
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <thread>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "core/test_pattern.hpp"
#include "s3/responses.hpp"
#include "store/s3_client.hpp"
#include "store/s3_metrics.hpp"
#include "store/s3_store.hpp"

namespace haul::store {
namespace {

const char* endpoint() {
  return std::getenv("HAUL_S3_ENDPOINT");
}
std::string region() {
  return std::getenv("HAUL_S3_REGION") ? std::getenv("HAUL_S3_REGION") : "default";
}
const std::string bucket = "haul-unit";

std::string random_tag() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  return haul::testing::pattern<std::vector<uint8_t>>(n, seed);
}

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!endpoint() || !std::getenv("AWS_ACCESS_KEY_ID")) GTEST_SKIP() << "HAUL_S3_ENDPOINT unset: no S3 server";
    url_ = "s3://" + bucket + "/t" + random_tag() + "?endpoint=" + endpoint() + "&region=" + region();
    raw_ = std::make_unique<s3io::Client>(
        haul::s3::parse_store_url(url_),
        haul::s3::Credentials{std::getenv("AWS_ACCESS_KEY_ID"), std::getenv("AWS_SECRET_ACCESS_KEY"), ""});
    auto r = raw_->perform({"create_bucket", "PUT", "", {}, {}, {}, true});
    ASSERT_TRUE(r.status == 200 || r.status == 409) << r.status << r.body;
    store_ = make_s3_store(url_);
  }

  std::vector<uint8_t> read_all(std::string_view key, const BodyRange& range, ObjectHead* head_out = nullptr) {
    std::vector<uint8_t> out;
    int heads = 0;
    store_->read(
        key, range,
        [&](const ObjectHead& h) {
          ++heads;
          if (head_out) *head_out = h;
        },
        [&](std::span<const uint8_t> b) {
          out.insert(out.end(), b.begin(), b.end());
          return true;
        });
    EXPECT_EQ(heads, 1);
    return out;
  }

  void put(std::string_view key, const std::vector<uint8_t>& header, const std::vector<uint8_t>& body,
           size_t chunk = 65536) {
    auto w = store_->create(key, header);
    for (size_t at = 0; at < body.size(); at += chunk) {
      w->write(std::span(body).subspan(at, std::min(chunk, body.size() - at)));
    }
    w->commit();
  }

  size_t pending_uploads() {
    auto r = raw_->perform({"list_uploads", "GET", "", {{"uploads", ""}}, {}, {}, true});
    EXPECT_EQ(r.status, 200) << r.body;
    size_t n = 0;
    for (const auto& u : haul::s3::parse_list_multipart_uploads(r.body).uploads) {
      if (u.key.starts_with(haul::s3::parse_store_url(url_).prefix)) ++n;
    }
    return n;
  }

  const std::vector<uint8_t> one_{1};
  std::string url_;
  std::unique_ptr<s3io::Client> raw_;
  std::unique_ptr<Store> store_;
};

TEST_F(S3StoreTest, RoundTripsAcrossPartBoundaries) {
  const std::vector<uint8_t> header = pattern(52, 1);
  const size_t part = 8u << 20;
  for (size_t size : {size_t{0}, size_t{1}, part - 1, part, part + 1, 2 * part + 12345}) {
    std::string key = "rt/" + std::to_string(size);
    auto body = pattern(size, static_cast<uint8_t>(size));
    put(key, header, body, 1000003);
    ObjectHead h;
    EXPECT_EQ(read_all(key, {}, &h), body) << size;
    EXPECT_EQ(h.header, header);
    EXPECT_EQ(h.body_size, size);
    auto hd = store_->head(key);
    EXPECT_EQ(hd.body_size, size);
    EXPECT_EQ(hd.header, header);
    EXPECT_GT(hd.mtime_unix, 1600000000);
  }
  EXPECT_EQ(pending_uploads(), 0u);
}

TEST_F(S3StoreTest, Ranges) {
  auto body = pattern(100000, 7);
  put("r", {1, 2, 3}, body);
  auto slice = [&](size_t a, size_t n) { return std::vector<uint8_t>(body.begin() + a, body.begin() + a + n); };
  ObjectHead h;
  EXPECT_EQ(read_all("r", {10, 20, std::nullopt}, &h), slice(10, 20));
  EXPECT_EQ(h.body_size, 100000u);  // from Content-Range
  EXPECT_EQ(h.header, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(read_all("r", {99990, std::nullopt, std::nullopt}), slice(99990, 10));
  EXPECT_EQ(read_all("r", {0, std::nullopt, 56}), slice(100000 - 56, 56));
  EXPECT_EQ(read_all("r", {0, std::nullopt, 200000}), body);  // suffix longer than the object
  EXPECT_EQ(read_all("r", {99999, 1000, std::nullopt}), slice(99999, 1));
  EXPECT_TRUE(read_all("r", {100000, std::nullopt, std::nullopt}, &h).empty());  // past the end: head only
  EXPECT_EQ(h.body_size, 100000u);
  EXPECT_TRUE(read_all("r", {5, 0, std::nullopt}).empty());
  // A sink that stops early ends the read without error.
  size_t got = 0;
  store_->read(
      "r", {}, [](const ObjectHead&) {},
      [&](std::span<const uint8_t> b) {
        got += b.size();
        return false;
      });
  EXPECT_GT(got, 0u);
  EXPECT_LE(got, body.size());
}

TEST_F(S3StoreTest, ReaderIsPulledInPiecesOfTheCallersSize) {
  auto body = pattern(3 << 20, 8);
  put("pull", one_, body);
  auto reader = store_->open("pull", {1000, 2u << 20, std::nullopt});
  EXPECT_EQ(reader->head().body_size, body.size());
  std::vector<uint8_t> got, piece(100003);
  size_t n;
  while ((n = reader->read(piece)) > 0) {
    got.insert(got.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n));
    if (n < piece.size()) {
      EXPECT_EQ(got.size(), 2u << 20);  // fewer only at the end
    }
  }
  EXPECT_EQ(got, std::vector<uint8_t>(body.begin() + 1000, body.begin() + 1000 + (2 << 20)));
  EXPECT_EQ(reader->read(piece), 0u);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->open("absent", {}); }), ErrorKind::not_found);
}

TEST_F(S3StoreTest, PulledBodySurvivesASlowReader) {
  // Between reads nothing drives the transfer: a reader that pauses longer
  // than the backend stall timeout still gets every byte (the pause is the
  // client's, not a stalled backend), and the connection is reused after.
  auto body = pattern(4 << 20, 9);
  put("slow", one_, body);
  s3io::ClientConfig config;
  config.stall_timeout = std::chrono::seconds(1);
  config.keep_warm = std::chrono::milliseconds(0);
  s3io::Client client(haul::s3::parse_store_url(url_),
                      {std::getenv("AWS_ACCESS_KEY_ID"), std::getenv("AWS_SECRET_ACCESS_KEY"), ""}, config);
  std::string key = haul::s3::parse_store_url(url_).prefix + "slow";
  std::vector<uint8_t> got, piece(256 * 1024);
  {
    auto transfer = client.open_body({"get", "GET", key, {}, {}, {}, true});
    ASSERT_EQ(transfer->response().status, 200);
    for (int i = 0;; ++i) {
      const size_t n = transfer->read(piece);
      if (n == 0) break;
      got.insert(got.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n));
      if (i == 1) std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    }
  }
  EXPECT_EQ(got, body);
  uint64_t opened = s3_connections_opened();
  auto again = client.open_body({"get", "GET", key, {}, {{"range", "bytes=0-9"}}, {}, true});
  EXPECT_EQ(again->response().status, 206);
  EXPECT_EQ(again->read(piece), 10u);
  EXPECT_EQ(s3_connections_opened(), opened);
  // An error status comes with its body and no body bytes to pull.
  auto missing = client.open_body({"get", "GET", key + "-absent", {}, {}, {}, true});
  EXPECT_EQ(missing->response().status, 404);
  EXPECT_NE(missing->response().body.find("NoSuchKey"), std::string::npos) << missing->response().body;
  EXPECT_EQ(missing->read(piece), 0u);
}

TEST_F(S3StoreTest, MissingObjectsAreNotFound) {
  auto kind = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::internal;
  };
  EXPECT_EQ(kind([&] { store_->head("nope"); }), ErrorKind::not_found);
  EXPECT_EQ(kind([&] { store_->remove("nope"); }), ErrorKind::not_found);
  EXPECT_EQ(kind([&] { read_all("nope", {}); }), ErrorKind::not_found);
  EXPECT_EQ(kind([&] { read_all("nope", {0, 5, std::nullopt}); }), ErrorKind::not_found);
  EXPECT_EQ(kind([&] { store_->create("../x", {}); }), ErrorKind::bad_request);
}

TEST_F(S3StoreTest, ListAndRemove) {
  for (const char* k : {"l/a", "l/b", "l/c", "m/d"}) put(k, {9}, pattern(3, 1));
  auto page = store_->list("l/", "", 2);
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(page.entries[0].key, "l/a");
  EXPECT_EQ(page.entries[1].key, "l/b");
  EXPECT_EQ(page.entries[0].body_size, 3u);
  ASSERT_TRUE(page.next_after);
  page = store_->list("l/", *page.next_after, 2);
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].key, "l/c");
  EXPECT_FALSE(page.next_after);
  EXPECT_EQ(store_->list("", "", 100).entries.size(), 4u);
  store_->remove("l/b");
  EXPECT_THROW(store_->head("l/b"), Error);
  EXPECT_EQ(store_->list("l/", "", 100).entries.size(), 2u);
}

TEST_F(S3StoreTest, UncommittedWriterLeavesNothing) {
  {
    auto w = store_->create("big", one_);
    auto chunk = pattern(3u << 20, 3);
    for (int i = 0; i < 4; ++i) w->write(chunk);  // 12 MiB: a multipart upload has started
    EXPECT_EQ(pending_uploads(), 1u);
  }
  EXPECT_EQ(pending_uploads(), 0u);
  EXPECT_THROW(store_->head("big"), Error);
  {
    auto w = store_->create("small", one_);
    w->write(pattern(10, 1));
  }
  EXPECT_THROW(store_->head("small"), Error);
}

TEST_F(S3StoreTest, PartsFromTwoStoresComplete) {
  auto other = make_s3_store(url_);  // a second gateway process on the same bucket
  std::vector<uint8_t> header = pattern(52, 9);
  std::string id = store_->begin_upload("parts", header);
  auto p1 = pattern(5u << 20, 1), p2 = pattern(777, 2);
  {
    auto w = other->open_part(id, "parts", 2, p1.size());
    w->write(p2);
    w->commit();
  }
  {
    auto w = store_->open_part(id, "parts", 1, 0);
    w->write(std::span(p1).first(1000));
    w->write(std::span(p1).subspan(1000));
    w->commit();
  }
  EXPECT_THROW(store_->complete_upload(id, "parts", 3), Error);  // part 3 missing
  other->complete_upload(id, "parts", 2);
  std::vector<uint8_t> expect = p1;
  expect.insert(expect.end(), p2.begin(), p2.end());
  ObjectHead h;
  EXPECT_EQ(read_all("parts", {}, &h), expect);
  EXPECT_EQ(h.header, header);

  std::string id2 = store_->begin_upload("aborted", header);
  auto w = store_->open_part(id2, "aborted", 1, 0);
  w->write(p2);
  w->commit();
  store_->abort_upload(id2, "aborted");
  EXPECT_EQ(pending_uploads(), 0u);
  EXPECT_THROW(store_->head("aborted"), Error);
  try {
    store_->abort_upload(id2, "aborted");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
  }
}

TEST_F(S3StoreTest, ShortLastPartsAreJoined) {
  // The gateway's shape: full parts, a short last data part, then the
  // trailer as one more short part. S3 allows only the last part under 5 MiB.
  auto p1 = pattern(5u << 20, 1), p2 = pattern(1000, 2), p3 = pattern(56, 3);
  std::string id = store_->begin_upload("gw", one_);
  auto other = make_s3_store(url_);
  int i = 0;
  for (auto* p : {&p1, &p2, &p3}) {
    auto w = (i % 2 ? other : store_)->open_part(id, "gw", static_cast<uint32_t>(i + 1), 0);
    w->write(*p);
    w->commit();
    ++i;
  }
  EXPECT_EQ(store_->list("", "", 100).entries.size(), 0u);  // short parts are hidden
  EXPECT_THROW(store_->create(".haul-parts/x", one_), Error);
  store_->complete_upload(id, "gw", 3);
  std::vector<uint8_t> expect = p1;
  expect.insert(expect.end(), p2.begin(), p2.end());
  expect.insert(expect.end(), p3.begin(), p3.end());
  EXPECT_EQ(read_all("gw", {}), expect);
  EXPECT_EQ(store_->list("", "", 100).entries.size(), 1u);
  EXPECT_EQ(pending_uploads(), 0u);

  // Everything short: one joined part.
  id = store_->begin_upload("small", one_);
  for (uint32_t n : {1u, 2u}) {
    auto w = store_->open_part(id, "small", n, 0);
    w->write(p2);
    w->commit();
  }
  store_->complete_upload(id, "small", 2);
  auto both = p2;
  both.insert(both.end(), p2.begin(), p2.end());
  EXPECT_EQ(read_all("small", {}), both);
}

TEST_F(S3StoreTest, ExpiredUploadsAreAbortedWithTheirShortParts) {
  // Left behind as by a killed gateway: a multipart upload with a full part
  // and a short part (a side object).
  std::string id = store_->begin_upload("left", one_);
  for (uint32_t n : {1u, 2u}) {
    auto w = store_->open_part(id, "left", n, 0);
    w->write(pattern(n == 1 ? (5u << 20) : 1000, static_cast<uint8_t>(n)));
    w->commit();
  }
  ASSERT_EQ(pending_uploads(), 1u);
  EXPECT_EQ(store_->cleanup_expired_uploads(std::chrono::hours(1)), 0u);  // too young
  EXPECT_EQ(pending_uploads(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // Initiated has whole seconds
  EXPECT_EQ(store_->cleanup_expired_uploads(std::chrono::seconds(0)), 1u);
  EXPECT_EQ(pending_uploads(), 0u);
  auto r = raw_->perform({"list", "GET", "", {{"list-type", "2"}}, {}, {}, true});
  EXPECT_EQ(r.body.find(".haul-parts"), std::string::npos) << r.body;  // side object removed
  EXPECT_THROW(store_->complete_upload(id, "left", 2), Error);
}

TEST_F(S3StoreTest, ShortPartBeforeTheEndIsRejected) {
  std::string id = store_->begin_upload("tiny", one_);
  for (uint32_t n : {1u, 2u, 3u}) {
    auto w = store_->open_part(id, "tiny", n, 0);
    w->write(pattern(n == 2 ? (5u << 20) : 1000, 1));
    w->commit();
  }
  try {
    store_->complete_upload(id, "tiny", 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::conflict) << e.what();
  }
  store_->abort_upload(id, "tiny");
  EXPECT_EQ(pending_uploads(), 0u);
  auto r = raw_->perform({"list", "GET", "", {{"list-type", "2"}}, {}, {}, true});
  EXPECT_EQ(r.body.find(".haul-parts"), std::string::npos) << r.body;  // side objects removed
}

TEST_F(S3StoreTest, SequentialRequestsReuseConnections) {
  put("reuse", {1}, pattern(1000, 1));
  read_all("reuse", {});  // warm
  uint64_t before = s3_connections_opened();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(read_all("reuse", {0, 10, std::nullopt}).size(), 10u);
  EXPECT_EQ(s3_connections_opened() - before, 0u);
  // A sink that says stop on the last chunk it needs (as the gateway's does)
  // must not cost the connection either.
  for (int i = 0; i < 5; ++i) {
    size_t got = 0;
    store_->read(
        "reuse", {}, [](const ObjectHead&) {},
        [&](std::span<const uint8_t> b) {
          got += b.size();
          return got < 1000;
        });
    EXPECT_EQ(got, 1000u);
  }
  EXPECT_EQ(s3_connections_opened() - before, 0u);
  std::string text = s3_metrics_text();
  EXPECT_NE(text.find("haul_backend_requests_total{store=\"default\",op=\"get\",code=\"206\"}"), std::string::npos)
      << text;
  EXPECT_NE(text.find("haul_backend_connections_opened_total{store=\"default\"} "), std::string::npos);
}

TEST_F(S3StoreTest, KeepWarmPingsIdleConnections) {
  s3io::ClientConfig config;
  config.keep_warm = std::chrono::milliseconds(200);
  s3io::Client client(haul::s3::parse_store_url(url_),
                      {std::getenv("AWS_ACCESS_KEY_ID"), std::getenv("AWS_SECRET_ACCESS_KEY"), ""}, config);
  auto pings = [] {
    std::string text = s3_metrics_text();
    size_t at = text.find("haul_backend_requests_total{store=\"default\",op=\"ping\",code=\"200\"} ");
    return at == std::string::npos ? 0ul : std::stoul(text.substr(text.find("} ", at) + 2));
  };
  ASSERT_EQ(client.perform({"head", "HEAD", "", {}, {}, {}, true}).status, 200);
  uint64_t opened = s3_connections_opened();
  unsigned long before = pings();
  // Wait (bounded) for the keep-warm thread to ping the idle connection.
  for (int i = 0; i < 200 && pings() < before + 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(pings(), before + 2);
  // The pings ran on the pooled connection: none was opened.
  EXPECT_EQ(s3_connections_opened(), opened);
}

TEST_F(S3StoreTest, DeadBackendIsBackendUnavailable) {
  auto dead = make_s3_store("s3://" + bucket + "?endpoint=http://127.0.0.1:1&region=" + region());
  try {
    dead->head("x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_unavailable) << e.what();
    // The backend's address is for the log, not for the gateway's clients.
    EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
    EXPECT_EQ(e.public_message().find("127.0.0.1"), std::string_view::npos) << e.public_message();
  }
}

TEST_F(S3StoreTest, ProbeHeadsTheBucket) {
  store_->probe();
  auto missing =
      make_s3_store("s3://" + bucket + "-missing-" + random_tag() + "?endpoint=" + endpoint() + "&region=" + region());
  try {
    missing->probe();
    FAIL() << "a missing bucket passed the probe";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_unavailable) << e.what();
  }
  auto dead = make_s3_store("s3://" + bucket + "?endpoint=http://127.0.0.1:1&region=" + region());
  try {
    dead->probe();
    FAIL() << "a dead backend passed the probe";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_unavailable) << e.what();
    EXPECT_NE(std::string(e.what()).find("after 1 attempt"), std::string::npos) << e.what();  // no retries
  }
}

}  // namespace
}  // namespace haul::store
