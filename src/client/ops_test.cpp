// The client's state machines (PutOp, GetOp, SimpleOp, the trees, put_file)
// driven through their whole runs against a scripted pool (scripted_pool.hpp):
// no sockets, no libcurl, but the real run loop, transfer callbacks, stripes'
// RTT check, classification and retry policy. The script is a small fake of
// the gateway's HTTP API (docs/api.md) that keeps what it is sent.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <nlohmann/json.hpp>

#include "client/client.hpp"
#include "client/get_op.hpp"
#include "client/put_op.hpp"
#include "client/scripted_pool.hpp"
#include "client/tree.hpp"
#include "core/test_pattern.hpp"

namespace haul::client {
namespace {

using http_client::Failure;
using testing::Answer;
using testing::object_answer;
using testing::ScriptedPool;
using testing::sha256_hex;
using testing::StringSink;

std::string data_of(size_t n, unsigned seed) {
  return haul::testing::pattern<std::string>(n, seed);
}

std::shared_ptr<const Source> source_of(const std::string& bytes) {
  return std::make_shared<MemorySource>(std::make_shared<const std::string>(bytes));
}

// No answer: the exchange failed (connect, transport, timeout).
Answer broken(Failure failure) {
  return Answer{0, {}, "", failure, 0};
}

Answer json_answer(int status, const nlohmann::json& j) {
  Answer a;
  a.status = status;
  a.headers = {{"content-type", "application/json"}};
  a.body = j.dump();
  return a;
}

std::map<std::string, std::string> query_of(const std::string& path) {
  std::map<std::string, std::string> q;
  auto at = path.find('?');
  if (at == std::string::npos) return q;
  std::string rest = path.substr(at + 1);
  for (size_t start = 0; start <= rest.size();) {
    size_t amp = rest.find('&', start);
    std::string kv = rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    auto eq = kv.find('=');
    if (eq != std::string::npos) q[kv.substr(0, eq)] = kv.substr(eq + 1);
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return q;
}

// The gateway's object API over a map, enough for the client's operations.
// Faults (fail()) answer first, then `override` (when set; nullopt lets the
// fake answer).
struct FakeGateway {
  struct Fault {
    std::string match;  // a part of "METHOD path"
    Answer answer;
    int times;  // left; < 0: always
  };
  std::vector<Fault> faults;
  // The requests whose "METHOD path" contains match get `answer`, the first
  // `times` of them (all when negative).
  void fail(std::string match, Answer answer, int times = -1) {
    faults.push_back({std::move(match), std::move(answer), times});
  }

  std::map<std::string, std::string> objects;  // by path key ("/v1/objects/K")
  std::map<uint32_t, std::string> parts;
  uint64_t part_size = 0;
  size_t part_count = 0;
  std::string upload_key;
  std::map<uint32_t, std::string> stripes;
  bool stripes_complete_object = true;  // false: stripes meet "different gateways" (202 only)
  std::function<std::optional<Answer>(const Request&, const std::string&)> override;

  static std::string etag_of(const std::string& bytes) { return "\"" + sha256_hex(bytes).substr(0, 16) + "\""; }

  Answer operator()(const Request& r, const std::string& body) {
    for (auto& f : faults) {
      if (f.times == 0 || (r.method + " " + r.path).find(f.match) == std::string::npos) continue;
      if (f.times > 0) --f.times;
      return f.answer;
    }
    if (override)
      if (auto a = override(r, body)) return *a;
    const std::string path = r.path.substr(0, r.path.find('?'));
    if (path == "/healthz") return json_answer(200, {{"status", "ok"}});
    if (r.method == "POST" && path == "/v1/uploads") {
      auto j = nlohmann::json::parse(body);
      upload_key = j["key"];
      part_size = j["part_size"];
      uint64_t size = j["size"];
      part_count = static_cast<size_t>((size + part_size - 1) / part_size);
      return json_answer(201, {{"upload_id", "u1"}, {"part_size", part_size}, {"part_count", part_count}});
    }
    if (r.method == "PUT" && path.starts_with("/v1/uploads/u1/parts/")) {
      parts[static_cast<uint32_t>(std::stoul(path.substr(path.rfind('/') + 1)))] = body;
      return json_answer(200, {{"sha256", sha256_hex(body)}});
    }
    if (r.method == "POST" && path == "/v1/uploads/u1/complete") {
      std::string whole;
      for (auto& [n, bytes] : parts) whole += bytes;
      objects["/v1/objects/" + upload_key] = whole;
      return json_answer(201, {{"key", upload_key}, {"sha256", sha256_hex(whole)}});
    }
    if (r.method == "DELETE" && path == "/v1/uploads/u1") return Answer{204, {}, "", Failure::none, 0};
    if (r.method == "PUT" && r.path.find("&stripe=") != std::string::npos) return stripe(r, body);
    if (r.method == "PUT") {
      objects[path] = body;
      return json_answer(201, {{"sha256", sha256_hex(body)}, {"size", body.size()}});
    }
    auto it = objects.find(path);
    if (it == objects.end()) {
      // The gateway's words go in the JSON body and, for HEAD (no body), a header.
      Answer a = json_answer(404, {{"error", "not_found"}, {"message", "no such object"}});
      a.headers.emplace_back("x-haul-error", "no such object");
      return a;
    }
    const std::string& bytes = it->second;
    if (r.method == "HEAD" || r.method == "GET") return get(r, bytes);
    return json_answer(405, {{"error", "method_not_allowed"}});
  }

  Answer stripe(const Request& r, const std::string& body) {
    auto q = query_of(r.path);
    stripes[static_cast<uint32_t>(std::stoul(q["stripe"]))] = body;
    const size_t count = std::stoul(q["stripes"]);
    nlohmann::json j = {{"stripe", std::stoul(q["stripe"])}, {"stripes", count}, {"stripe_sha256", sha256_hex(body)}};
    if (stripes.size() < count || !stripes_complete_object) return json_answer(202, j);
    std::string whole;
    for (auto& [n, bytes] : stripes) whole += bytes;
    objects[r.path.substr(0, r.path.find('?'))] = whole;
    j["sha256"] = sha256_hex(whole);
    j["size"] = whole.size();
    return json_answer(201, j);
  }

  Answer get(const Request& r, const std::string& bytes) { return object_answer(r, bytes, etag_of(bytes)); }
};

class Ops : public ::testing::Test {
 protected:
  Ops() {
    config_.gateway = "http://gateway.test";
    config_.retry_base = std::chrono::milliseconds(0);  // retries without waiting
    config_.part_size = 4 * segment_size;
  }
  ~Ops() override { RequestPool::interrupt_flag().store(false); }

  ScriptedPool pool() { return ScriptedPool(config_, std::ref(gateway_)); }
  // Over an https:// gateway: small transfers are HTTP/2 streams.
  ScriptedPool https_pool() {
    config_.gateway = "https://gateway.test";
    return pool();
  }

  // An upload of 200 000 pattern bytes (seed) to "s" as stripes
  // (plan_stripes) on a fresh pool (ran_) whose connections have rtt_us;
  // run to its end.
  std::unique_ptr<PutOp> put_striped(uint32_t rtt_us, unsigned seed, bool probe_first) {
    ran_.emplace(config_, std::ref(gateway_));
    ran_->set_connection_rtt(rtt_us);
    data_ = data_of(200000, seed);
    auto layout = plan_stripes(data_.size(), 96);
    stripes_ = layout->count;
    auto op = std::make_unique<PutOp>(*ran_, source_of(data_), "s", config_.part_size, false, layout, probe_first);
    ran_->run(*op, stripes_);
    return op;
  }

  // A download of key into sink on a fresh pool (ran_), run to its end.
  std::unique_ptr<GetOp> get(const std::string& key, StringSink& sink) {
    ran_.emplace(config_, std::ref(gateway_));
    auto op = std::make_unique<GetOp>(*ran_, key, sink, config_.part_size);
    ran_->run(*op, 8);
    return op;
  }

  ClientConfig config_;
  FakeGateway gateway_;
  std::optional<ScriptedPool> ran_;  // the pool of the last put_striped or get
  std::string data_;
  size_t stripes_ = 0;
};

// ---- put

TEST_F(Ops, PutSmallObjectIsOnePutWithItsDigest) {
  ScriptedPool p = pool();
  std::string data = data_of(100000, 1);
  PutOp op(p, source_of(data), "a/b c", config_.part_size);
  p.run(op, 8);
  ASSERT_FALSE(op.error()) << op.error()->what();
  ASSERT_EQ(p.sent().size(), 1u);
  EXPECT_EQ(p.sent()[0].line(), "PUT /v1/objects/a/b%20c");
  EXPECT_EQ(p.sent()[0].body, data);
  EXPECT_EQ(gateway_.objects["/v1/objects/a/b%20c"], data);
  EXPECT_EQ(op.stats().sha256, sha256_hex(data));
  EXPECT_EQ(op.stats().status, 201);
  EXPECT_EQ(op.stats().requests, 1u);
}

TEST_F(Ops, PutFailsOnADigestTheGatewayDidNotStore) {
  gateway_.fail("PUT ", json_answer(201, {{"sha256", std::string(64, '0')}}));
  ScriptedPool p = pool();
  PutOp op(p, source_of(data_of(1000, 2)), "k", config_.part_size);
  p.run(op, 8);
  ASSERT_TRUE(op.error());
  EXPECT_EQ(op.error()->kind(), ErrorKind::integrity);
  // The same check on the parts' completion.
  gateway_.faults.clear();
  gateway_.fail("POST /v1/uploads/u1/complete", json_answer(201, {{"sha256", std::string(64, '0')}}));
  ScriptedPool q = pool();
  PutOp parts(q, source_of(data_of(2 * config_.part_size, 2)), "k", config_.part_size);
  q.run(parts, 8);
  ASSERT_TRUE(parts.error());
  EXPECT_EQ(parts.error()->kind(), ErrorKind::integrity);
  EXPECT_EQ(q.count("POST", "/v1/uploads/u1/complete"), 1u);
}

TEST_F(Ops, StripesGoAtOnceOnALongPathAndMakeTheObject) {
  auto op = put_striped(50000, 3, false);  // 50 ms
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(p.count("PUT", "/v1/objects/s?upload="), stripes_);
  EXPECT_EQ(p.sent().size(), stripes_);  // no plain PUT
  EXPECT_EQ(p.most_in_flight(), stripes_);
  EXPECT_EQ(gateway_.objects["/v1/objects/s"], data_);
  EXPECT_EQ(op->stats().parts, stripes_);
  EXPECT_EQ(op->stats().status, 201);
}

TEST_F(Ops, StripeProbeOnALongPathReleasesTheOthers) {
  auto op = put_striped(50000, 4, true);
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  ASSERT_EQ(p.sent().size(), stripes_);
  // Stripe 0 went alone; the others only after its connection measured the path.
  EXPECT_NE(p.sent()[0].path.find("&stripe=0&"), std::string::npos);
  for (size_t i = 1; i < p.sent().size(); ++i) EXPECT_GE(p.sent()[i].answered_before, 1u) << i;
  EXPECT_EQ(p.path_rtt_us(), 50000u);
  EXPECT_EQ(gateway_.objects["/v1/objects/s"], data_);
}

TEST_F(Ops, StripeProbeDeclinedOnAShortPathBecomesOnePut) {
  auto op = put_striped(1000, 5, true);  // 1 ms: stripes would cost more than they save
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  ASSERT_EQ(p.sent().size(), 2u);
  EXPECT_TRUE(p.sent()[0].declined);
  EXPECT_EQ(p.sent()[0].body, "");  // not a byte sent over the short connection
  EXPECT_EQ(p.sent()[1].line(), "PUT /v1/objects/s");
  EXPECT_EQ(p.sent()[1].body, data_);
  EXPECT_EQ(op->stats().parts, 0u);
  EXPECT_EQ(op->stats().requests, 1u);  // the declined stripe is no request on the wire
  EXPECT_EQ(gateway_.objects["/v1/objects/s"], data_);
}

TEST_F(Ops, StripesThatCompleteNothingFallBackToOnePut) {
  gateway_.stripes_complete_object = false;  // they met different gateway processes: 202 each
  auto op = put_striped(50000, 6, false);
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(p.sent().size(), stripes_ + 1);
  EXPECT_EQ(p.sent().back().line(), "PUT /v1/objects/s");
  EXPECT_EQ(gateway_.objects["/v1/objects/s"], data_);
  EXPECT_EQ(op->stats().parts, 0u);
}

TEST_F(Ops, AFailedStripeFallsBackToOnePutAndIsNotRepeated) {
  gateway_.fail("&stripe=2&", json_answer(503, {{"error", "backend_unavailable"}}));
  auto op = put_striped(50000, 7, false);
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(p.count("PUT", "/v1/objects/s?"), stripes_);  // stripes are never repeated
  EXPECT_EQ(p.sent().back().line(), "PUT /v1/objects/s");
  EXPECT_EQ(gateway_.objects["/v1/objects/s"], data_);
}

TEST_F(Ops, PartsCreateSendEveryPartAndComplete) {
  ScriptedPool p = pool();
  std::string data = data_of(3 * config_.part_size + 5000, 8);
  PutOp op(p, source_of(data), "big", config_.part_size);
  p.run(op, 8);
  ASSERT_FALSE(op.error()) << op.error()->what();
  ASSERT_EQ(p.sent().size(), 6u);
  EXPECT_EQ(p.sent()[0].line(), "POST /v1/uploads");
  EXPECT_EQ(nlohmann::json::parse(p.sent()[0].body)["size"], data.size());
  EXPECT_EQ(p.count("PUT", "/v1/uploads/u1/parts/"), 4u);
  EXPECT_EQ(p.sent()[5].line(), "POST /v1/uploads/u1/complete");
  EXPECT_EQ(nlohmann::json::parse(p.sent()[5].body)["sha256"], sha256_hex(data));
  EXPECT_EQ(gateway_.objects["/v1/objects/big"], data);
  EXPECT_EQ(op.stats().parts, 4u);
  EXPECT_EQ(op.stats().sha256, sha256_hex(data));
}

// The tail of a parallel upload: while parts remain, every answer is
// followed by the next part and the connections stay busy; once none
// remains, the parts in flight halve from 8 to 4, 2 and 1, and each time the
// pool is told when they are bodies bbr sends (above 1 MiB,
// net::cubic_burst_min): its connections still sending then restart bbr
// (net::restart_bbr_while_sending). Smaller parts go on cubic: not told.
TEST_F(Ops, ThePoolIsToldEachTimeTheLastBigPartsInFlightHalve) {
  for (const auto& [part_size, told] : {std::pair{uint64_t{2} << 20, 3u}, std::pair{uint64_t{256} << 10, 0u}}) {
    ScriptedPool p = pool();
    p.answer_per_round(1);
    std::string data = data_of(16 * part_size, 31);
    PutOp op(p, source_of(data), "big", part_size);
    p.run(op, 8);
    ASSERT_FALSE(op.error()) << op.error()->what();
    EXPECT_EQ(gateway_.objects["/v1/objects/big"], data);
    EXPECT_EQ(p.most_in_flight(), 8u);
    EXPECT_EQ(p.halvings(), told) << part_size;
  }
}

TEST_F(Ops, AFailedPartAbortsTheUpload) {
  gateway_.fail("PUT /v1/uploads/u1/parts/2", json_answer(400, {{"error", "bad_request"}, {"message", "no"}}));
  ScriptedPool p = pool();
  std::string data = data_of(3 * config_.part_size, 9);
  PutOp op(p, source_of(data), "big", config_.part_size);
  p.run(op, 8);
  ASSERT_TRUE(op.error());
  EXPECT_EQ(op.error()->kind(), ErrorKind::bad_request);
  EXPECT_NE(std::string(op.error()->what()).find("no (400 bad_request)"), std::string::npos) << op.error()->what();
  EXPECT_EQ(p.count("DELETE", "/v1/uploads/u1"), 1u);
  EXPECT_EQ(p.sent().back().line(), "DELETE /v1/uploads/u1");  // after every part in flight landed
  EXPECT_EQ(p.count("POST", "/v1/uploads/u1/complete"), 0u);
  EXPECT_EQ(p.count("PUT", "/v1/uploads/u1/parts/2"), 1u);  // a 400 is not repeated
}

TEST_F(Ops, ADroppedPartIsRepeatedByThePolicy) {
  gateway_.fail("PUT /v1/uploads/u1/parts/2", broken(Failure::transport), 2);
  ScriptedPool p = pool();
  std::string data = data_of(3 * config_.part_size, 10);
  PutOp op(p, source_of(data), "big", config_.part_size);
  p.run(op, 8);
  ASSERT_FALSE(op.error()) << op.error()->what();
  EXPECT_EQ(p.count("PUT", "/v1/uploads/u1/parts/2"), 3u);  // config_.retries attempts
  std::vector<unsigned> attempts;
  for (const auto& s : p.sent())
    if (s.path == "/v1/uploads/u1/parts/2") attempts.push_back(s.attempt);
  EXPECT_EQ(attempts, (std::vector<unsigned>{1, 2, 3}));
  EXPECT_EQ(gateway_.objects["/v1/objects/big"], data);
}

TEST_F(Ops, RetriesStopAtTheLastAttempt) {
  gateway_.fail("HEAD ", json_answer(503, {{"error", "backend_unavailable"}, {"message", "later"}}));
  config_.retries = 4;
  gateway_.objects["/v1/objects/k"] = data_of(1000, 11);
  StringSink sink;
  auto op = get("k", sink);
  const ScriptedPool& p = *ran_;
  ASSERT_TRUE(op->error());
  EXPECT_EQ(op->error()->kind(), ErrorKind::backend_unavailable);
  EXPECT_EQ(p.count("HEAD"), 4u);
  EXPECT_FALSE(sink.committed);
}

TEST_F(Ops, CreatingAnUploadIsRepeatedOnlyWhenNothingReachedTheGateway) {
  gateway_.fail("POST /v1/uploads", broken(Failure::connect), 1);  // the first: the create
  ScriptedPool p = pool();
  std::string data = data_of(2 * config_.part_size, 12);
  PutOp connect_failed(p, source_of(data), "big", config_.part_size);
  p.run(connect_failed, 8);
  ASSERT_FALSE(connect_failed.error()) << connect_failed.error()->what();
  EXPECT_EQ(p.count("POST", "/v1/uploads"), 3u);  // two creates and the complete

  gateway_.fail("POST /v1/uploads", broken(Failure::transport));  // maybe created
  ScriptedPool q = pool();
  PutOp broken(q, source_of(data), "big", config_.part_size);
  q.run(broken, 8);
  ASSERT_TRUE(broken.error());
  EXPECT_EQ(broken.error()->kind(), ErrorKind::backend_unavailable);
  EXPECT_EQ(q.sent().size(), 1u);
}

TEST_F(Ops, InterruptCancelsThePartsAndAbortsTheUpload) {
  ScriptedPool p = pool();
  p.answer_per_round(1);
  p.interrupt_after(3);  // the create and two parts answered
  std::string data = data_of(6 * config_.part_size, 13);
  PutOp op(p, source_of(data), "big", config_.part_size);
  p.run(op, 3);
  ASSERT_TRUE(op.error());
  EXPECT_NE(std::string(op.error()->what()).find("interrupted"), std::string::npos) << op.error()->what();
  EXPECT_EQ(p.count("DELETE", "/v1/uploads/u1"), 1u);
  EXPECT_EQ(p.sent().back().line(), "DELETE /v1/uploads/u1");
  EXPECT_EQ(p.count("POST", "/v1/uploads/u1/complete"), 0u);
  size_t cancelled = 0;
  for (const auto& s : p.sent()) cancelled += s.cancelled ? 1 : 0;
  EXPECT_EQ(cancelled, 2u);  // the parts in flight at the interrupt
  EXPECT_LT(p.count("PUT", "/v1/uploads/u1/parts/"), 6u);
}

// ---- get

void expect_ranged_download(ClientConfig config, FakeGateway& gateway, bool newest_first) {
  std::string data = data_of(3 * config.part_size + 777, 14);
  gateway.objects["/v1/objects/r"] = data;
  ScriptedPool p(config, std::ref(gateway));
  p.answer_per_round(1, newest_first);
  StringSink sink;
  GetOp op(p, "r", sink, config.part_size);
  p.run(op, 8);
  ASSERT_FALSE(op.error()) << op.error()->what();
  EXPECT_EQ(sink.bytes, data);
  EXPECT_EQ(sink.committed, data.size());
  ASSERT_GE(p.sent().size(), 2u);
  // HEAD (for the digest) and the first range at once, then the other ranges.
  EXPECT_EQ(p.sent()[0].line(), "HEAD /v1/objects/r");
  EXPECT_EQ(p.sent()[1].line(), "GET /v1/objects/r");
  EXPECT_EQ(p.sent()[1].answered_before, 0u);
  EXPECT_EQ(p.sent()[1].headers, std::vector<std::string>{"Range: bytes=0-262143"});
  EXPECT_EQ(p.count("GET"), 4u);
  EXPECT_EQ(op.stats().parts, 4u);
  EXPECT_EQ(op.stats().sha256, sha256_hex(data));
}

TEST_F(Ops, GetAsksHeadAndFirstRangeThenTheOtherRanges) {
  expect_ranged_download(config_, gateway_, false);  // the HEAD answers first
}

TEST_F(Ops, GetWorksWhenTheFirstRangeAnswersBeforeTheHead) {
  expect_ranged_download(config_, gateway_, true);
}

// Once every range is asked for, the free connections take the second
// halves of the ranges with the most still to come; each stopped request
// ends at its split point, and the bytes are the object's.
TEST_F(Ops, TheTailOfADownloadIsSplitOverTheFreeConnections) {
  config_.part_size = 4 << 20;
  const std::string data = data_of(3 * config_.part_size + 777, 21);
  gateway_.objects["/v1/objects/t"] = data;
  ScriptedPool p(config_, std::ref(gateway_));
  p.answer_per_round(1);  // ranges stay in flight while the op is asked for more
  StringSink sink;
  GetOp op(p, "t", sink, config_.part_size);
  p.run(op, 8);
  ASSERT_FALSE(op.error()) << op.error()->what();
  EXPECT_EQ(sink.bytes, data);
  EXPECT_EQ(op.stats().sha256, sha256_hex(data));
  // Ranges 1-3 (4 MiB) and 4 (777 bytes) fill 4 of the 8 connections; the
  // three big ones are halved at once, and as answers free connections each
  // piece with 2 MiB (kTailSplitMin) still to come is halved again: every
  // big range ends as 4 pieces of 1 MiB, none smaller.
  std::vector<std::string> ranges;
  for (const auto& s : p.sent())
    if (s.method == "GET") ranges.push_back(s.headers.at(0));
  EXPECT_EQ(ranges,
            (std::vector<std::string>{
                "Range: bytes=0-4194303", "Range: bytes=4194304-8388607", "Range: bytes=8388608-12582911",
                "Range: bytes=12582912-12583688", "Range: bytes=2097152-4194303", "Range: bytes=6291456-8388607",
                "Range: bytes=10485760-12582911", "Range: bytes=1048576-2097151", "Range: bytes=5242880-6291455",
                "Range: bytes=9437184-10485759", "Range: bytes=3145728-4194303", "Range: bytes=7340032-8388607",
                "Range: bytes=11534336-12582911"}));
  EXPECT_EQ(op.stats().parts, 13u);
  EXPECT_LE(p.most_in_flight(), size_t{config_.connections});
}

TEST_F(Ops, GetOfAnEmptyObjectFallsBackToAPlainGet) {
  gateway_.objects["/v1/objects/empty"] = "";
  StringSink sink;
  auto op = get("empty", sink);
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  ASSERT_EQ(p.sent().size(), 3u);
  EXPECT_EQ(p.sent()[1].headers, std::vector<std::string>{"Range: bytes=0-262143"});  // 416 bytes */0
  EXPECT_EQ(p.sent()[2].line(), "GET /v1/objects/empty");
  EXPECT_TRUE(p.sent()[2].headers.empty());
  EXPECT_EQ(sink.committed, 0u);
  EXPECT_EQ(op->stats().sha256, sha256_hex(""));
}

TEST_F(Ops, GetFailsWhenTheObjectChangesBetweenAnswers) {
  std::string data = data_of(3 * config_.part_size, 15);
  gateway_.objects["/v1/objects/c"] = data;
  gateway_.override = [&](const Request& r, const std::string&) -> std::optional<Answer> {
    if (r.method != "GET" || r.headers.empty() || r.headers[0] != "Range: bytes=524288-786431") return std::nullopt;
    Answer a = gateway_.get(r, data);
    for (auto& [name, value] : a.headers)
      if (name == "etag") value = "\"another version\"";
    return a;
  };
  StringSink sink;
  auto op = get("c", sink);
  ASSERT_TRUE(op->error());
  EXPECT_EQ(op->error()->kind(), ErrorKind::conflict);
  EXPECT_FALSE(sink.committed);
}

// ---- cold get: HEAD and small ranges at once, each over its own connection

class ColdGet : public Ops {
 protected:
  // A cold download of key into sink_ over connections with rtt_us, with the
  // default plan (96 ranges of 12 KiB, the rest over 8 connections) unless
  // `cold` says otherwise.
  std::unique_ptr<GetOp> cold_get(const std::string& key, uint32_t rtt_us, bool probe_first,
                                  std::optional<ColdRanges> cold = std::nullopt) {
    ran_.emplace(config_, std::ref(gateway_));
    ran_->set_connection_rtt(rtt_us);
    plan_ = cold ? *cold : *plan_cold_ranges(96, kStripeTarget, 8);
    auto op = std::make_unique<GetOp>(*ran_, key, sink_, config_.part_size, plan_, probe_first);
    ran_->run(*op, plan_.count + 1);
    return op;
  }
  StringSink sink_;
  ColdRanges plan_;
};

TEST_F(ColdGet, HeadAndEveryRangeGoAtOnceOnAKnownLongPath) {
  std::string data = data_of(200000, 21);  // 17 ranges of 12 KiB, the last 3392 bytes
  gateway_.objects["/v1/objects/c"] = data;
  auto op = cold_get("c", 50000, false);
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(sink_.bytes, data);
  EXPECT_EQ(sink_.committed, data.size());
  ASSERT_EQ(p.sent().size(), 97u);  // nothing waited for the size: ranges past it were answered 416
  EXPECT_EQ(p.sent()[0].line(), "HEAD /v1/objects/c");
  for (size_t i = 1; i < p.sent().size(); ++i) {
    EXPECT_EQ(p.sent()[i].answered_before, 0u) << i;
    const uint64_t first = (i - 1) * kStripeTarget;
    EXPECT_EQ(p.sent()[i].headers, std::vector<std::string>{"Range: bytes=" + std::to_string(first) + "-" +
                                                            std::to_string(first + kStripeTarget - 1)});
    EXPECT_EQ(p.sent()[i].min_rtt_us, kStripeMinRttUs);
  }
  EXPECT_EQ(p.most_in_flight(), 97u);
  EXPECT_EQ(op->stats().parts, 17u);
  EXPECT_EQ(op->stats().bytes, data.size());
  EXPECT_EQ(op->stats().sha256, sha256_hex(data));
}

// One cold range whose connection is slow to open (its SYN lost: the kernel
// resends it after a second) does not hold up a big object's rest: its 8 MiB
// ranges start with it in flight, it lands last, and the bytes are whole.
TEST_F(ColdGet, ABigObjectsRestDoesNotWaitForAStragglingColdRange) {
  config_.part_size = 2 << 20;
  const std::string data = data_of(kMaxStripedSize + 3 * config_.part_size + 5, 24);
  gateway_.objects["/v1/objects/big"] = data;
  const std::string straggler = "Range: bytes=" + std::to_string(7 * kStripeTarget) + "-" +
                                std::to_string(8 * kStripeTarget - 1);  // cold range 8
  ran_.emplace(config_, std::ref(gateway_));
  ran_->set_connection_rtt(50000);
  ran_->answer_per_round(1);
  ran_->hold([&](const Request& r) { return !r.headers.empty() && r.headers[0] == straggler; });
  plan_ = *plan_cold_ranges(96, kStripeTarget, 8);
  GetOp op(*ran_, "big", sink_, config_.part_size, plan_, false);
  ran_->run(op, plan_.count + 1);
  ASSERT_FALSE(op.error()) << op.error()->what();
  EXPECT_EQ(sink_.bytes, data);
  EXPECT_EQ(sink_.committed, data.size());
  EXPECT_EQ(op.stats().sha256, sha256_hex(data));
  const auto& sent = ran_->sent();
  auto straggler_at = std::find_if(sent.begin(), sent.end(),
                                   [&](const auto& s) { return !s.headers.empty() && s.headers[0] == straggler; });
  ASSERT_NE(straggler_at, sent.end());
  // The first range after the 96 cold ones (HEAD, cold ranges, then the rest).
  ASSERT_GT(sent.size(), 98u);
  EXPECT_EQ(sent[97].headers[0], "Range: bytes=" + std::to_string(96 * kStripeTarget) + "-" +
                                     std::to_string(96 * kStripeTarget + config_.part_size - 1));
  // It started before the straggler's answer, which came after every other.
  EXPECT_LT(sent[97].answered_before, straggler_at->answered_as);
  EXPECT_EQ(straggler_at->answered_as, sent.size());
}

TEST_F(ColdGet, AProbeOnAnUnknownLongPathReleasesTheRestUpToTheSize) {
  std::string data = data_of(30000, 22);  // 3 ranges
  gateway_.objects["/v1/objects/c"] = data;
  auto op = cold_get("c", 50000, true);
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(sink_.bytes, data);
  // HEAD and range 1 first; the others after the probe's connection measured
  // the path, and once an answer told the size only those inside it.
  ASSERT_GE(p.sent().size(), 2u);
  EXPECT_EQ(p.sent()[1].headers, std::vector<std::string>{"Range: bytes=0-12287"});
  for (size_t i = 2; i < p.sent().size(); ++i) EXPECT_GE(p.sent()[i].answered_before, 1u) << i;
  EXPECT_EQ(p.count("GET"), 3u);
  EXPECT_EQ(p.path_rtt_us(), 50000u);
  EXPECT_EQ(op->stats().parts, 3u);
}

TEST_F(ColdGet, AProbeDeclinedOnAShortPathGoesTheUsualWay) {
  std::string data = data_of(3 * config_.part_size + 99, 23);
  gateway_.objects["/v1/objects/c"] = data;
  auto op = cold_get("c", 1000, true);
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(sink_.bytes, data);
  ASSERT_GE(p.sent().size(), 3u);
  EXPECT_TRUE(p.sent()[1].declined);  // the probe: nothing sent on the short connection
  EXPECT_EQ(p.sent()[2].headers, std::vector<std::string>{"Range: bytes=0-262143"});
  EXPECT_EQ(p.count("GET"), 5u);  // the declined probe and four ranges of part_size
  EXPECT_EQ(op->stats().parts, 4u);
}

TEST_F(ColdGet, TheRestOfABiggerObjectIsSpreadOverTheConnections) {
  std::string data = data_of(200000, 24);
  gateway_.objects["/v1/objects/c"] = data;
  // 4 cold ranges of 16 KiB cover 65 536 bytes; 134 464 remain, spread over
  // the 4 connections in ranges rounded up to 16 KiB (48 KiB): 3 of them.
  auto op = cold_get("c", 50000, false, ColdRanges{4, 16 * 1024, 3});
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(sink_.bytes, data);
  ASSERT_EQ(p.count("GET"), 7u);
  EXPECT_EQ(p.sent().back().headers, std::vector<std::string>{"Range: bytes=163840-199999"});
  EXPECT_EQ(op->stats().parts, 7u);
  EXPECT_EQ(op->stats().sha256, sha256_hex(data));
}

TEST_F(ColdGet, TheRestOfAnObjectTooBigForStripesKeepsToTheConnectionsLimit) {
  std::string data = data_of(kMaxStripedSize + 5000, 28);
  gateway_.objects["/v1/objects/big"] = data;
  auto op = cold_get("big", 50000, false, ColdRanges{4, 16 * 1024, 3});
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_TRUE(sink_.bytes == data);
  // The rest in part_size ranges (256 KiB), never more than 3 in flight.
  const size_t rest = (data.size() - 65536 + config_.part_size - 1) / config_.part_size;
  ASSERT_EQ(p.count("GET"), 4 + rest);
  for (size_t i = 5; i < p.sent().size(); ++i) {
    EXPECT_LE(i - p.sent()[i].answered_before + 1, 3u) << i;  // started before it, not answered, and itself
  }
  EXPECT_EQ(op->stats().parts, 4 + rest);
}

TEST_F(ColdGet, AnEmptyObjectIsEveryRange416AndCommitsNothing) {
  gateway_.objects["/v1/objects/e"] = "";
  auto op = cold_get("e", 50000, false, ColdRanges{4, 16 * 1024, 3});
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(sink_.committed, 0u);
  EXPECT_EQ(op->stats().sha256, sha256_hex(""));
  EXPECT_EQ(op->stats().parts, 0u);
}

TEST_F(ColdGet, AStaleMemoryOfALongPathStillGetsEveryByte) {
  // The path memory said long, this connection measures 1 ms: each declined
  // range is sent again without the check (its bytes are needed).
  std::string data = data_of(50000, 25);
  gateway_.objects["/v1/objects/c"] = data;
  auto op = cold_get("c", 1000, false, ColdRanges{8, 12 * 1024, 3});
  const ScriptedPool& p = *ran_;
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(sink_.bytes, data);
  size_t declined = 0;
  for (const auto& s : p.sent()) {
    declined += s.declined ? 1 : 0;
    if (!s.declined && s.method == "GET") {
      EXPECT_EQ(s.min_rtt_us, 0u);
    }
  }
  EXPECT_EQ(declined, 8u);  // all left before any answer told the size
}

TEST_F(ColdGet, FailsWhenTheObjectChangesBetweenAnswers) {
  std::string data = data_of(100000, 26);
  gateway_.objects["/v1/objects/c"] = data;
  gateway_.override = [&](const Request& r, const std::string&) -> std::optional<Answer> {
    if (r.method != "GET" || r.headers.empty() || r.headers[0] != "Range: bytes=24576-36863") return std::nullopt;
    Answer a = gateway_.get(r, data);
    for (auto& [name, value] : a.headers)
      if (name == "etag") value = "\"another version\"";
    return a;
  };
  auto op = cold_get("c", 50000, false);
  ASSERT_TRUE(op->error());
  EXPECT_EQ(op->error()->kind(), ErrorKind::conflict);
  EXPECT_FALSE(sink_.committed);
}

TEST_F(ColdGet, AMissingObjectIsNotFoundWithTheGatewaysWords) {
  auto op = cold_get("nope", 50000, false);
  ASSERT_TRUE(op->error());
  EXPECT_EQ(op->error()->kind(), ErrorKind::not_found);
  EXPECT_NE(std::string(op->error()->what()).find("get nope: no such object (404)"), std::string::npos)
      << op->error()->what();
  EXPECT_FALSE(sink_.committed);
}

TEST_F(ColdGet, ARangeRefusedInsideTheObjectIsAnError) {
  std::string data = data_of(100000, 27);
  gateway_.objects["/v1/objects/c"] = data;
  Answer refused{416, {{"content-range", "bytes */100000"}}, "{}", Failure::none, 0};
  gateway_.fail("GET /v1/objects/c", refused, 1);
  auto op = cold_get("c", 50000, false);
  ASSERT_TRUE(op->error());
  EXPECT_NE(std::string(op->error()->what()).find("range refused inside the object"), std::string::npos)
      << op->error()->what();
  EXPECT_FALSE(sink_.committed);
}

// ---- a lying gateway: downloads may fail, never keep wrong bytes

// One rewrite of an honest answer, drawn at random: mostly none, else one
// lie (a status, a header changed or dropped, a body cut, grown or flipped,
// a transport failure).
void lie(Answer& a, std::mt19937& rng) {
  auto set_header = [&a](const std::string& name, const std::string& value) {
    for (auto& [n, v] : a.headers) {
      if (n == name) {
        v = value;
        return;
      }
    }
    a.headers.emplace_back(name, value);
  };
  const unsigned amount = rng() % 256;
  switch (rng() % 28) {
    case 1: a.status = amount % 2 ? 503 : 404; break;
    case 2: a.status = 200; break;
    case 3: a.status = 416; break;
    case 4: set_header("etag", "\"another version\""); break;
    case 5: std::erase_if(a.headers, [](const auto& h) { return h.first == "content-range"; }); break;
    case 6:
      set_header("content-range", "bytes " + std::to_string(amount) + "-" + std::to_string(amount * 97) + "/" +
                                      std::to_string(amount * 1000));
      break;
    case 7: set_header("content-range", "bytes */" + std::to_string(amount * 1000)); break;
    case 8: a.body.resize(a.body.size() > amount ? a.body.size() - amount - 1 : 0); break;
    case 9: a.body.append(amount + 1, 'x'); break;
    case 10:
      if (!a.body.empty()) a.body[amount % a.body.size()] ^= 1;
      break;
    case 11: set_header("x-haul-sha256", std::string(64, '0')); break;
    case 12: set_header("content-length", std::to_string(amount * 1000)); break;
    case 13: a.failure = amount % 2 ? Failure::transport : Failure::connect; break;
    default: break;  // honest
  }
}

TEST(GetAgainstALyingGateway, NeverCommitsWrongBytes) {
  // Random lies over both ways a download starts (the usual HEAD and first
  // range; cold ranges, probed or not, on a long or short path) and sizes
  // around the cold ranges' and parts' boundaries. Every run must end; a
  // failed one commits nothing, a successful one exactly the object.
  ClientConfig config;
  config.gateway = "http://gateway.test";
  config.retry_base = std::chrono::milliseconds(0);
  config.part_size = segment_size;
  std::mt19937 rng(20261206);
  size_t succeeded = 0, failed = 0;
  for (int run = 0; run < 400; ++run) {
    const unsigned mode = rng() % 8;
    const size_t size = rng() % 4 == 0 ? (rng() % 8) * 16 * 1024 + rng() % 3 : rng() % 200000;
    const std::string object = data_of(size, static_cast<unsigned>(run));
    const std::string etag = FakeGateway::etag_of(object);
    const bool lies = rng() % 3 != 0;  // a third of the runs honest throughout
    ScriptedPool pool(config, [&](const Request& r, const std::string&) {
      Answer a = object_answer(r, object, etag);
      if (lies) lie(a, rng);
      return a;
    });
    pool.set_connection_rtt(mode & 4 ? 1000 : 50000);
    StringSink sink;
    std::unique_ptr<GetOp> op;
    if (mode & 1) {
      op = std::make_unique<GetOp>(pool, "k", sink, config.part_size, ColdRanges{8, 12 * 1024, 3}, (mode & 2) != 0);
      pool.run(*op, 9);
    } else {
      op = std::make_unique<GetOp>(pool, "k", sink, config.part_size);
      pool.run(*op, 8);
    }
    SCOPED_TRACE("run " + std::to_string(run) + " mode " + std::to_string(mode) + " size " + std::to_string(size));
    ASSERT_TRUE(op->finished());
    if (op->error()) {
      ++failed;
      ASSERT_FALSE(sink.committed) << op->error()->what();
      continue;
    }
    ++succeeded;
    ASSERT_EQ(sink.committed, size);
    ASSERT_TRUE(sink.bytes.compare(0, size, object) == 0);
    if (!lies) {
      EXPECT_EQ(op->stats().sha256, sha256_hex(object));
    }
  }
  // Both outcomes were exercised (the lies are not all fatal, nor all harmless).
  EXPECT_GT(succeeded, 100u);
  EXPECT_GT(failed, 50u);
}

TEST_F(Ops, GetOfAMissingObjectIsNotFoundWithTheGatewaysWords) {
  StringSink sink;
  auto op = get("nope", sink);
  ASSERT_TRUE(op->error());
  EXPECT_EQ(op->error()->kind(), ErrorKind::not_found);
  // The HEAD answers first: its message comes from X-Haul-Error.
  EXPECT_NE(std::string(op->error()->what()).find("get nope: no such object (404)"), std::string::npos)
      << op->error()->what();
}

// ---- one request, trees, put_file

TEST_F(Ops, SimpleOpRetriesTooManyRequests) {
  gateway_.fail("DELETE /v1/objects/x", json_answer(429, {{"error", "too_many_requests"}}), 1);
  gateway_.fail("DELETE /v1/objects/x", Answer{204, {}, "", Failure::none, 0});
  ScriptedPool p = pool();
  auto r = std::make_unique<Request>();
  r->method = "DELETE";
  r->path = "/v1/objects/x";
  auto answer = run_request(p, std::move(r), "rm", "x");
  EXPECT_EQ(answer->status, 204);
  EXPECT_EQ(p.count("DELETE"), 2u);
}

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("haul-ops-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const std::string& bytes) const {
    std::filesystem::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name, std::ios::binary) << bytes;
  }

 private:
  std::filesystem::path path_;
};

// Files f0 .. f(n-1) of `size` bytes each in dir (data_of, seeds first_seed ...).
void write_files(TempDir& dir, int n, size_t size, unsigned first_seed) {
  for (int i = 0; i < n; ++i) dir.write("f" + std::to_string(i), data_of(size, first_seed + static_cast<unsigned>(i)));
}

TEST_F(Ops, PutTreeUploadsEveryFileBoundedAndStopsAfterAFailure) {
  TempDir dir;
  for (int i = 0; i < 6; ++i) dir.write("d/f" + std::to_string(i), data_of(1000 + i, 20 + i));
  ScriptedPool p = pool();
  std::vector<std::string> done;
  PutTree tree(p, dir.path().string(), "pre", 2, [&](const TransferStats& s, const std::optional<Error>& e) {
    EXPECT_FALSE(e);
    done.push_back(s.key);
  });
  p.run(tree, 2);
  EXPECT_FALSE(tree.first_error());
  EXPECT_EQ(tree.succeeded(), 6u);
  EXPECT_EQ(p.most_in_flight(), 2u);
  EXPECT_EQ(gateway_.objects["/v1/objects/pre/d/f3"], data_of(1003, 23));

  gateway_.fail("PUT /v1/objects/again/d/f1", json_answer(403, {{"error", "unauthorized"}}));
  ScriptedPool q = pool();
  PutTree failing(q, dir.path().string(), "again", 1, {});
  q.run(failing, 1);
  ASSERT_TRUE(failing.first_error());
  EXPECT_EQ(failing.first_error()->kind(), ErrorKind::unauthorized);
  EXPECT_LT(q.count("PUT"), 6u);  // no new transfer after the first failure
}

TEST_F(Ops, OverHttp2AHundredStreamsUntilTheFirstAnswerThenTheWholeInflight) {
  // libcurl 7.88 assumes 100 streams per HTTP/2 connection until the
  // gateway's SETTINGS arrive (config.hpp): the first fill stops there.
  TempDir dir;
  write_files(dir, 400, 100, 40);
  ScriptedPool p = https_pool();
  p.answer_per_round(1);
  const unsigned inflight = effective_inflight(config_);
  ASSERT_EQ(inflight, kHttp2DefaultInflight);
  PutTree tree(p, dir.path().string(), "h2", inflight, {});
  p.run(tree, inflight);
  EXPECT_FALSE(tree.first_error());
  EXPECT_EQ(tree.succeeded(), 400u);
  ASSERT_EQ(p.sent().size(), 400u);
  for (size_t i = 0; i < kHttp2InflightBeforeSettings; ++i) EXPECT_EQ(p.sent()[i].answered_before, 0u) << i;
  EXPECT_EQ(p.sent()[kHttp2InflightBeforeSettings].answered_before, 1u);
  // Then the rest at once (one was answered).
  EXPECT_EQ(p.most_in_flight(), 399u);
  // At most 256 per HTTP/2 connection (the gateway's stream limit), over
  // --stream-connections connections.
  ClientConfig one = config_;
  one.stream_connections = 1;
  EXPECT_EQ(effective_inflight(one), kHttp2StreamsPerConnection);
  one.inflight = 5000;
  one.stream_connections = 8;
  EXPECT_EQ(effective_inflight(one), 8 * kHttp2StreamsPerConnection);
  // Stripes (HTTP/1.1 connections of their own) are no streams: 128 at once
  // over an https:// gateway, before any answer.
  ScriptedPool s = pool();
  s.set_connection_rtt(50000);
  const std::string big = data_of(128 * 12 * 1024, 41);
  auto layout = plan_stripes(big.size(), 128);
  ASSERT_TRUE(layout);
  ASSERT_EQ(layout->count, 128u);
  PutOp striped(s, source_of(big), "s", config_.part_size, false, layout, false);
  s.run(striped, 128);
  ASSERT_FALSE(striped.error()) << striped.error()->what();
  EXPECT_EQ(s.most_in_flight(), 128u);
  // Over HTTP/1.1 no such cap: the whole --inflight at once.
  config_.gateway = "http://gateway.test";
  config_.inflight = 150;
  ScriptedPool q = pool();
  q.answer_per_round(1);
  PutTree plain(q, dir.path().string(), "h1", 150, {});
  q.run(plain, 150);
  EXPECT_EQ(plain.succeeded(), 400u);
  EXPECT_EQ(q.sent()[149].answered_before, 0u);
}

TEST_F(Ops, OverHttp2ConnectionsWarmFirstAndEachTakesAHundredStreamsBeforeSettings) {
  TempDir dir;
  write_files(dir, 1000, 10, 60);
  ScriptedPool p = https_pool();
  p.set_stream_connections(4);
  p.answer_per_round(1);
  p.warm_streams();
  const unsigned inflight = effective_inflight(config_);
  PutTree tree(p, dir.path().string(), "w", inflight, {});
  p.run(tree, inflight);
  ASSERT_FALSE(tree.first_error()) << tree.first_error()->what();
  EXPECT_EQ(tree.succeeded(), 1000u);
  // One warm-up stream per connection, before the first file is opened.
  ASSERT_GT(p.sent().size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(p.sent()[i].line(), "GET /healthz") << i;
  EXPECT_EQ(p.count("GET", "/healthz"), 4u);
  // Until a stream has been answered, 100 streams per connection (the
  // warm-ups' answers do not count); then the rest.
  const size_t warm_answers = p.sent()[4].answered_before;
  EXPECT_LE(warm_answers, 4u);
  for (size_t i = 4; i < 4 + 4 * kHttp2InflightBeforeSettings; ++i) {
    EXPECT_EQ(p.sent()[i].line().rfind("PUT /v1/objects/w/", 0), 0u) << i;
    EXPECT_EQ(p.sent()[i].answered_before, warm_answers) << i;
  }
  EXPECT_GT(p.sent()[4 + 4 * kHttp2InflightBeforeSettings].answered_before, warm_answers);
  EXPECT_GT(p.most_in_flight(), 4 * kHttp2InflightBeforeSettings);
}

TEST_F(Ops, GetTreeListsThenDownloadsUnderTheDirectory) {
  TempDir dir;
  gateway_.objects["/v1/objects/p/a"] = data_of(500, 30);
  gateway_.objects["/v1/objects/p/b/c"] = data_of(70000, 31);
  gateway_.override = [](const Request& r, const std::string&) -> std::optional<Answer> {
    if (!r.path.starts_with("/v1/objects?")) return std::nullopt;
    return json_answer(200, {{"objects", {{{"key", "p/a"}, {"size", 500}}, {{"key", "p/b/c"}, {"size", 70000}}}}});
  };
  ScriptedPool p = pool();
  GetTree tree(p, "p", (dir.path() / "out").string(), 4, {});
  p.run(tree, 4);
  ASSERT_FALSE(tree.first_error()) << tree.first_error()->what();
  EXPECT_EQ(tree.succeeded(), 2u);
  std::ifstream in(dir.path() / "out" / "b" / "c", std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, data_of(70000, 31));
  // Listed small: each file one GET, its digest in the answer, no HEAD.
  EXPECT_EQ(p.count("HEAD"), 0u);
  EXPECT_EQ(p.count("GET", "/v1/objects/"), 2u);
}

// Listing pages: 100 keys first, then twice the last while the gateway sends
// JSON as it is, or a whole page (1000) once it sends gzip.
std::vector<std::string> listing_limits(ScriptedPool& p) {
  std::vector<std::string> limits;
  for (const auto& s : p.sent())
    if (s.path.starts_with("/v1/objects?")) limits.push_back(query_of(s.path)["limit"]);
  return limits;
}

TEST_F(Ops, GetTreeListingPagesGrowWithTheWindowOrWholeInGzip) {
  for (const bool gzip : {false, true}) {
    TempDir dir;
    gateway_.objects.clear();
    for (int i = 0; i < 2000; ++i) gateway_.objects["/v1/objects/p/" + std::to_string(10000 + i)] = "x";
    gateway_.override = [gzip](const Request& r, const std::string&) -> std::optional<Answer> {
      if (!r.path.starts_with("/v1/objects?")) return std::nullopt;
      auto q = query_of(r.path);
      const int from =
          q.contains("after") ? std::stoi(q["after"].substr(q["after"].size() - 5)) + 1 : 10000;  // "p%2F12345"
      const int limit = std::stoi(q["limit"]);
      nlohmann::json objects = nlohmann::json::array();
      for (int k = from; k < std::min(from + limit, 12000); ++k)
        objects.push_back({{"key", "p/" + std::to_string(k)}, {"size", 1}});
      nlohmann::json j = {{"objects", objects}};
      j["next_after"] = from + limit < 12000 ? nlohmann::json("p/" + std::to_string(from + limit - 1)) : nullptr;
      Answer a = json_answer(200, j);
      if (gzip) a.headers.emplace_back("content-encoding", "gzip");  // as libcurl leaves it, body decoded
      return a;
    };
    ScriptedPool p = pool();
    GetTree tree(p, "p/", (dir.path() / "out").string(), 64, {});
    p.run(tree, 64);
    ASSERT_FALSE(tree.first_error()) << tree.first_error()->what();
    EXPECT_EQ(tree.succeeded(), 2000u);
    if (gzip)
      EXPECT_EQ(listing_limits(p), (std::vector<std::string>{"100", "1000", "1000"}));
    else
      EXPECT_EQ(listing_limits(p), (std::vector<std::string>{"100", "200", "400", "800", "1000"}));
  }
}

// A listed small object whose GET answer carries no digest (an older
// gateway, or the object grew since the listing): the HEAD follows, and the
// download is verified and committed as usual, or fails as usual.
class ListedGet : public Ops {
 protected:
  std::unique_ptr<GetOp> get_listed(const std::string& key, uint64_t listed_size) {
    auto sink = std::make_unique<StringSink>();
    sink_ = sink.get();
    ran_.emplace(config_, std::ref(gateway_));
    auto op = std::make_unique<GetOp>(*ran_, key, std::move(sink), config_.part_size, listed_size);
    ran_->run(*op, 8);
    return op;
  }
  // Answers as the gateway would, without X-Haul-Sha256 on GETs.
  void no_digest_on_gets(const std::string& data, std::string etag_of_head = {}) {
    gateway_.override = [this, data, etag_of_head](const Request& r, const std::string&) -> std::optional<Answer> {
      Answer a = gateway_.get(r, data);
      if (r.method == "GET") std::erase_if(a.headers, [](const auto& h) { return h.first == "x-haul-sha256"; });
      if (r.method == "HEAD" && !etag_of_head.empty())
        for (auto& [name, value] : a.headers)
          if (name == "etag") value = etag_of_head;
      return a;
    };
  }
  StringSink* sink_ = nullptr;  // owned by the op
};

TEST_F(ListedGet, ASmallObjectIsOneGetVerifiedByItsAnswer) {
  const std::string data = data_of(4096, 50);
  gateway_.objects["/v1/objects/s"] = data;
  auto op = get_listed("s", data.size());
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(ran_->sent().size(), 1u);
  EXPECT_EQ(sink_->committed, data.size());
  EXPECT_EQ(op->stats().sha256, sha256_hex(data));
  // A digest that does not match the bytes: nothing committed.
  gateway_.override = [&](const Request& r, const std::string&) -> std::optional<Answer> {
    Answer a = gateway_.get(r, data);
    for (auto& [name, value] : a.headers)
      if (name == "x-haul-sha256") value = sha256_hex("something else");
    return a;
  };
  auto lied = get_listed("s", data.size());
  ASSERT_TRUE(lied->error());
  EXPECT_EQ(lied->error()->kind(), ErrorKind::integrity);
  EXPECT_FALSE(sink_->committed);
}

TEST_F(ListedGet, WithoutADigestInTheAnswerTheHeadFollows) {
  const std::string data = data_of(4096, 51);
  gateway_.objects["/v1/objects/s"] = data;
  no_digest_on_gets(data);
  auto op = get_listed("s", data.size());
  ASSERT_FALSE(op->error()) << op->error()->what();
  ASSERT_EQ(ran_->sent().size(), 2u);
  EXPECT_EQ(ran_->sent()[1].line(), "HEAD /v1/objects/s");
  EXPECT_EQ(sink_->committed, data.size());
  // The HEAD names another version than the GET's: a conflict, nothing committed.
  no_digest_on_gets(data, "\"another version\"");
  auto changed = get_listed("s", data.size());
  ASSERT_TRUE(changed->error());
  EXPECT_EQ(changed->error()->kind(), ErrorKind::conflict);
  EXPECT_FALSE(sink_->committed);
}

TEST_F(ListedGet, AnObjectThatGrewSinceTheListingGetsTheRestInRanges) {
  const std::string data = data_of(3 * config_.part_size + 5, 52);
  gateway_.objects["/v1/objects/g"] = data;
  auto op = get_listed("g", 1000);
  ASSERT_FALSE(op->error()) << op->error()->what();
  EXPECT_EQ(ran_->sent()[1].line(), "HEAD /v1/objects/g");  // after the first range's answer
  EXPECT_EQ(ran_->count("GET"), 4u);
  EXPECT_EQ(sink_->bytes, data);
  EXPECT_EQ(sink_->committed, data.size());
  // Listed too big for a digest in the answer: HEAD and first range at once, as before.
  auto big = get_listed("g", data.size());
  ASSERT_FALSE(big->error());
  EXPECT_EQ(ran_->sent()[0].line(), "HEAD /v1/objects/g");
}

TEST_F(Ops, PutFileStripesOnlyAColdPoolOverAnUnknownOrLongPath) {
  TempDir dir;
  std::string data = data_of(200000, 40);
  dir.write("f", data);
  const std::string file = (dir.path() / "f").string();
  const size_t stripes = plan_stripes(data.size(), 96)->count;

  ScriptedPool unknown = pool();  // fresh process, path never measured: probe first
  unknown.set_connection_rtt(50000);
  put_file(unknown, file, "k");
  EXPECT_EQ(unknown.count("PUT", "/v1/objects/k?upload="), stripes);
  EXPECT_NE(unknown.sent()[0].path.find("&stripe=0&"), std::string::npos);
  EXPECT_EQ(unknown.widened_to(), 0u);  // narrowed again afterwards
  // The pool is warm now: the next upload is one PUT.
  put_file(unknown, file, "k2");
  EXPECT_EQ(unknown.sent().back().line(), "PUT /v1/objects/k2");

  ScriptedPool local = pool();  // a gateway on this host
  local.set_rtt_hint(0);
  put_file(local, file, "k");
  ASSERT_EQ(local.sent().size(), 1u);
  EXPECT_EQ(local.sent()[0].line(), "PUT /v1/objects/k");
}

}  // namespace
}  // namespace haul::client
