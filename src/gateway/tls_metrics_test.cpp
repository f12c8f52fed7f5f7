// TLS counters: bounded labels whatever the strings, every failure class shown.
#include "gateway/tls_metrics.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "gateway/config.hpp"

using namespace haul;
using namespace haul::gateway;

namespace {
size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}
}  // namespace

TEST(TlsMetrics, CountsAndBoundedLabels) {
  TlsMetrics m;
  m.count_handshake(false, "TLSv1.3", "TLS_AES_128_GCM_SHA256");
  m.count_handshake(true, "TLSv1.3", "TLS_AES_128_GCM_SHA256");
  m.count_handshake(false, "TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256");
  for (int i = 0; i < 100; ++i) m.count_handshake(false, "SSLv9." + std::to_string(i), "X" + std::to_string(i));
  m.count_failure(tls::HandshakeFailure::timeout);
  m.set_certificate_not_after(1800000000);
  std::string out;
  m.render(out);
  EXPECT_NE(out.find("haul_tls_handshakes_total{kind=\"full\"} 102\n"), std::string::npos);
  EXPECT_NE(out.find("haul_tls_handshakes_total{kind=\"resumed\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("haul_tls_negotiated_total{protocol=\"TLSv1.3\",cipher=\"TLS_AES_128_GCM_SHA256\"} 2\n"),
            std::string::npos);
  EXPECT_NE(out.find("haul_tls_negotiated_total{protocol=\"other\",cipher=\"other\"} 100\n"), std::string::npos);
  EXPECT_EQ(count(out, "haul_tls_negotiated_total{"), 3u);
  EXPECT_EQ(count(out, "haul_tls_handshake_failures_total{"), tls::kHandshakeFailures);
  EXPECT_NE(out.find("haul_tls_handshake_failures_total{reason=\"timeout\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("haul_tls_certificate_not_after_seconds 1800000000\n"), std::string::npos);
}

TEST(ListenConfig, HostPortAndTlsFlags) {
  auto hp = parse_host_port("127.0.0.1:8443", "--tls-listen");
  EXPECT_EQ(hp.host, "127.0.0.1");
  EXPECT_EQ(hp.port, 8443);
  EXPECT_EQ(parse_host_port("[::1]:0", "--listen").host, "::1");
  for (const char* bad : {"8443", ":8443", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:84a3", "h:-1"}) {
    try {
      parse_host_port(bad, "--tls-listen");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      EXPECT_NE(std::string(e.what()).find("--tls-listen"), std::string::npos) << e.what();
    }
  }

  GatewayConfig c;
  c.stores.push_back(parse_store_flag("fs:/tmp/x"));
  c.master_key_file = "k";
  c.token_file = "t";
  EXPECT_NO_THROW(validate(c));
  c.tls.enabled = true;
  c.tls.host = "127.0.0.1";
  c.tls.port = 8443;
  EXPECT_THROW(validate(c), Error);  // no certificate or key
  c.tls.cert_file = "server.pem";
  c.tls.key_file = "server-key.pem";
  EXPECT_NO_THROW(validate(c));
  c.listen_plain = false;  // TLS only
  EXPECT_NO_THROW(validate(c));
  c.tls.enabled = false;  // nothing at all, and a certificate without a listener
  EXPECT_THROW(validate(c), Error);
  c.listen_plain = true;
  EXPECT_THROW(validate(c), Error);
  c.tls.enabled = true;
  c.tls.port = c.listen_port;  // both on one address
  c.tls.host = c.listen_host;
  EXPECT_THROW(validate(c), Error);
}
