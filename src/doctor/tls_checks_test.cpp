#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "doctor/path_checks.hpp"
#include "doctor/tls_checks.hpp"

using namespace haul::doctor;

namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kDay = 86400;

// An https:// gateway 200 ms away: a full TLS 1.3 handshake, then resumed ones.
PathResult over_tls() {
  PathResult p;
  p.url = "https://gw.example:8443";
  p.address = "192.0.2.7";
  p.handshake_s = {0.201, 0.2005, 0.2008};
  p.rtt_s = 0.2005;
  TlsResult t;
  t.protocol = "TLSv1.3";
  t.cipher = "TLS_AES_256_GCM_SHA384";
  t.alpn = "http/1.1";
  t.subject = "CN=gw.example";
  t.not_after_unix = kNow + 300 * kDay;
  t.checked_at_unix = kNow;
  t.handshakes = {{0.201, 0.203, false}, {0.2005, 0.2012, true}, {0.2008, 0.2009, true}};
  p.tls = t;
  return p;
}

}  // namespace

TEST(TlsChecks, HealthyTls13GatewayIsOkEverywhere) {
  auto findings = run_tls_checks(over_tls());
  ASSERT_EQ(findings.size(), 5u);
  for (const auto& f : findings) EXPECT_EQ(f.status, Status::ok) << f.id << ": " << f.value;
  EXPECT_EQ(findings[1].value, "TLSv1.3, TLS_AES_256_GCM_SHA384, ALPN http/1.1");
  EXPECT_NE(findings[2].value.find("full 203.0 ms (1.0 RTT)"), std::string::npos) << findings[2].value;
  EXPECT_NE(findings[2].value.find("resumed"), std::string::npos) << findings[2].value;
  EXPECT_EQ(findings[3].value, "2 of 2 later connections resumed");
  EXPECT_NE(findings[4].value.find("in 300 days"), std::string::npos) << findings[4].value;
}

TEST(TlsChecks, PlainHttpWarnsOverANetworkButNotOnThisHost) {
  PathResult p;
  p.url = "http://gw.example:8080";
  p.address = "192.0.2.7";
  auto findings = run_tls_checks(p);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].id, "tls.wire");
  EXPECT_EQ(findings[0].status, Status::warn);
  EXPECT_NE(findings[0].fix.find("--tls-cert"), std::string::npos);
  p.local = true;
  EXPECT_EQ(check_tls_wire(p).status, Status::ok);
}

TEST(TlsChecks, Tls12WarnsOlderFails) {
  PathResult p = over_tls();
  p.tls->protocol = "TLSv1.2";
  EXPECT_EQ(check_tls_protocol(p).status, Status::warn);
  p.tls->protocol = "TLSv1.1";
  EXPECT_EQ(check_tls_protocol(p).status, Status::fail);
}

TEST(TlsChecks, SlowFullHandshakeWarnsInRoundTripsOfItsProtocol) {
  PathResult p = over_tls();
  p.tls->handshakes[0].tls_s = 0.45;  // 2.2 RTT where TLS 1.3 needs 1
  EXPECT_EQ(check_tls_handshake(p).status, Status::warn);
  p.tls->protocol = "TLSv1.2";  // 2 RTT is what 1.2 needs: within 2 RTT + half an RTT
  EXPECT_EQ(check_tls_handshake(p).status, Status::ok);
  // On loopback the RTT is tiny: 20 ms of CPU is allowed.
  PathResult local = over_tls();
  local.rtt_s = 0.00005;
  local.tls->handshakes = {{0.00005, 0.004, false}};
  EXPECT_EQ(check_tls_handshake(local).status, Status::ok);
}

TEST(TlsChecks, ResumptionCountsLaterConnections) {
  PathResult p = over_tls();
  p.tls->handshakes[2].resumed = false;
  auto f = check_tls_resumption(p);
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.value, "1 of 2 later connections resumed");
  p.tls->handshakes[1].resumed = false;
  f = check_tls_resumption(p);
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.value, "0 of 2 later connections resumed");
  p.tls->handshakes.resize(1);
  EXPECT_EQ(check_tls_resumption(p).status, Status::skip);
}

TEST(TlsChecks, CertificateExpiry) {
  PathResult p = over_tls();
  p.tls->not_after_unix = kNow + (kCertificateWarnDays - 1) * kDay;
  EXPECT_EQ(check_tls_certificate(p).status, Status::warn);
  p.tls->not_after_unix = kNow - 1;
  auto f = check_tls_certificate(p);
  EXPECT_EQ(f.status, Status::fail);
  EXPECT_NE(f.value.find("expired"), std::string::npos);
  EXPECT_NE(f.fix.find("kill -HUP"), std::string::npos);
  p.tls->not_after_unix.reset();
  EXPECT_EQ(check_tls_certificate(p).status, Status::skip);
}

TEST(TlsChecks, HttpsWithoutAHandshakeSkips) {
  PathResult p;
  p.url = "https://gw.example:8443";
  auto findings = run_tls_checks(p);
  ASSERT_EQ(findings.size(), 5u);
  EXPECT_EQ(findings[0].status, Status::ok);  // the URL says TLS
  for (size_t i = 1; i < findings.size(); ++i) EXPECT_EQ(findings[i].status, Status::skip) << findings[i].id;
}

TEST(TlsChecks, PathChecksIncludeThemAndJsonCarriesTheHandshakes) {
  PathResult p = over_tls();
  bool seen = false;
  for (const auto& f : run_path_checks(p, LocalFacts{})) seen = seen || f.id == "tls.certificate";
  EXPECT_TRUE(seen);
  auto j = path_result_json(p);
  EXPECT_EQ(j["tls"]["protocol"], "TLSv1.3");
  ASSERT_EQ(j["tls"]["handshakes"].size(), 3u);
  EXPECT_EQ(j["tls"]["handshakes"][1]["resumed"], true);
  EXPECT_EQ(j["tls"]["certificate_not_after"], kNow + 300 * kDay);
}
