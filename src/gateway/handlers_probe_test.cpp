// Component tests of the routes around the objects: doctor's probes
// (handlers_probe.cpp), /healthz, /readyz (handlers_ready.cpp), /metrics,
// and what serve_request does around every handler: admission (token, the
// per-token limit), the 100-continue invitation, the JSON error answer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/testing/harness.hpp"

namespace haul::gateway::testing {
namespace {

using Bytes = std::vector<uint8_t>;

FakeRequest anonymous(std::string method, std::string target) {
  FakeRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

TEST(Probe, DownloadSendsExactlyTheBytesAsked) {
  TestGateway gw;
  const uint64_t n = 300'000;  // more than one 256 KiB pattern
  auto ex = gw.call("GET", "/v1/probe/download?bytes=" + std::to_string(n));
  ASSERT_EQ(ex->status(), 200);
  EXPECT_TRUE(ex->complete());
  ASSERT_EQ(ex->body().size(), n);
  for (size_t i = 0; i < n; i += 4099) {
    EXPECT_EQ(ex->body()[i], static_cast<uint8_t>((i % (256 * 1024)) * 131 + 7)) << i;
  }
  EXPECT_EQ(gw.call("GET", "/v1/probe/download?bytes=0")->announced_length(), 0u);
  EXPECT_EQ(gw.store().calls().opens, 0u);  // the store is never touched
}

TEST(Probe, LimitsAndMalformedCounts) {
  GatewayConfig config;
  config.probe_limit = 1000;
  TestGateway gw({"default"}, config);
  EXPECT_EQ(gw.call("GET", "/v1/probe/download?bytes=1001")->status(), 413);
  EXPECT_EQ(gw.call("GET", "/v1/probe/download")->status(), 400);
  EXPECT_EQ(gw.call("GET", "/v1/probe/download?bytes=12x")->status(), 400);
  EXPECT_EQ(gw.call("PUT", "/v1/probe/download?bytes=1")->status(), 405);
  // Upload: refused from its Content-Length before a byte is read...
  auto announced = gw.call("PUT", "/v1/probe/upload", Bytes(2000));
  EXPECT_EQ(announced->status(), 413);
  EXPECT_EQ(announced->body_bytes_read(), 0u);
  EXPECT_TRUE(announced->must_close());
  // ...or, without one, as soon as the body passes the limit.
  FakeRequest chunked = TestGateway::request("PUT", "/v1/probe/upload", Bytes(5000));
  chunked.chunked = true;
  chunked.piece = 600;
  auto streamed = gw.call(std::move(chunked));
  EXPECT_EQ(streamed->status(), 413);
  EXPECT_EQ(streamed->body_bytes_read(), 1200u);
}

TEST(Probe, UploadCountsTheBytes) {
  TestGateway gw;
  FakeRequest r = TestGateway::request("POST", "/v1/probe/upload", Bytes(100'000, 1));
  r.piece = 777;
  auto ex = gw.call(std::move(r));
  ASSERT_EQ(ex->status(), 200);
  EXPECT_EQ(json_of(*ex)["bytes"], 100'000);
  EXPECT_FALSE(ex->must_close());
}

TEST(Probe, TcpInfoWithoutASocketIsAnInternalError) {
  TestGateway gw;
  auto ex = gw.call("GET", "/v1/probe/tcpinfo");
  EXPECT_EQ(ex->status(), 500);
  EXPECT_EQ(json_of(*ex)["error"], "internal");
}

TEST(Health, HealthzNeedsNoToken) {
  TestGateway gw;
  auto ex = gw.call(anonymous("GET", "/healthz"));
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(json_of(*ex)["status"], "ok");
  EXPECT_EQ(gw.call(anonymous("POST", "/healthz"))->status(), 405);
}

TEST(Health, ReadyzNamesTheStoreThatIsDown) {
  TestGateway gw({"good", "bad"});
  auto ready = gw.call(anonymous("GET", "/readyz"));
  EXPECT_EQ(ready->status(), 200);
  EXPECT_EQ(json_of(*ready)["status"], "ready");

  TestGateway down({"good", "bad"});
  StoreFaults f;
  f.probe_fails = true;
  down.store("bad").set_faults(f);
  auto ex = down.call(anonymous("GET", "/readyz"));
  EXPECT_EQ(ex->status(), 503);
  auto j = json_of(*ex);
  EXPECT_EQ(j["status"], "not_ready");
  EXPECT_EQ(j["stores"]["good"]["ready"], true);
  EXPECT_EQ(j["stores"]["bad"]["ready"], false);
  EXPECT_EQ(j["stores"]["bad"]["message"], "injected fault: the store is down");
  // Probed once per max_age, whatever the request rate.
  down.call(anonymous("GET", "/readyz"));
  EXPECT_EQ(down.store("bad").calls().probes, 1u);
  EXPECT_EQ(down.call(anonymous("HEAD", "/readyz"))->status(), 503);
  EXPECT_EQ(down.call(anonymous("PUT", "/readyz"))->status(), 405);
}

TEST(Metrics, OpenFromLoopbackOnly) {
  TestGateway gw;
  gw.ctx().metrics.count_cut(CutReason::slow_reader);
  auto ex = gw.call(anonymous("GET", "/metrics"));
  ASSERT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->content_type(), "text/plain; version=0.0.4");
  EXPECT_NE(ex->body_text().find("haul_responses_cut_total{reason=\"slow_reader\"} 1\n"), std::string::npos);
  FakeRequest remote = anonymous("GET", "/metrics");
  remote.peer_is_loopback = false;
  EXPECT_EQ(gw.call(remote)->status(), 401);
  remote.headers.emplace_back("Authorization", std::string("Bearer ") + TestGateway::kToken);
  EXPECT_EQ(gw.call(remote)->status(), 200);
  GatewayConfig closed;
  closed.metrics_open_on_loopback = false;
  TestGateway strict({"default"}, closed);
  EXPECT_EQ(strict.call(anonymous("GET", "/metrics"))->status(), 401);
}

TEST(Serve, TheBodyIsInvitedOnlyAfterTheTokenCheck) {
  TestGateway gw;
  FakeRequest r = TestGateway::request("PUT", "/v1/objects/k", Bytes(10, 1));
  r.headers.emplace_back("Expect", "100-continue");
  auto ok = gw.call(r);
  EXPECT_EQ(ok->status(), 201);
  EXPECT_TRUE(ok->invited());
  r.headers.front().second = "Bearer wrong";
  auto refused = gw.call(r);
  EXPECT_EQ(refused->status(), 401);
  EXPECT_FALSE(refused->invited());
  EXPECT_EQ(refused->body_bytes_read(), 0u);
  EXPECT_TRUE(refused->must_close());  // the unread body: the session closes
}

TEST(Serve, ErrorsAreJsonWithTheirReasonInAHeader) {
  TestGateway gw;
  FakeExchange ex(TestGateway::request("GET", "/v1/objects/missing"));
  const Served served = gw.serve(ex);
  EXPECT_EQ(served.failure_status, 404);
  EXPECT_FALSE(served.lost);
  EXPECT_EQ(ex.status(), 404);
  EXPECT_EQ(ex.content_type(), "application/json");
  auto j = json_of(ex);
  EXPECT_EQ(j["error"], "not_found");
  EXPECT_EQ(ex.header("X-Haul-Error"), j["message"].get<std::string>());
}

TEST(Serve, ATokenOverItsLimitGets429) {
  GatewayConfig config;
  config.max_requests_per_token = 1;
  TestGateway gw({"default"}, config);
  auto held = gw.ctx().tokens.current()->limits.acquire(0);  // one request of the token in progress
  ASSERT_TRUE(held);
  auto ex = gw.call("GET", "/v1/objects/k");
  EXPECT_EQ(ex->status(), 429);
  EXPECT_EQ(ex->header("Retry-After"), "1");
  EXPECT_EQ(gw.ctx().metrics.requests_over_token_limit.load(), 1u);
  held.reset();
  EXPECT_EQ(gw.call("GET", "/v1/objects/k")->status(), 404);        // admitted again
  EXPECT_EQ(gw.ctx().tokens.current()->limits.in_progress(0), 0u);  // and its slot given back
}

}  // namespace
}  // namespace haul::gateway::testing
