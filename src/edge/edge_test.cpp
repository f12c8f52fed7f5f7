#include <gtest/gtest.h>

#include "core/error.hpp"
#include "edge/edge_config.hpp"
#include "edge/relay_fields.hpp"
#include "edge/window_warmup.hpp"

namespace haul::edge {
namespace {

std::string find(const Fields& fields, std::string_view name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return v;
  }
  return "<absent>";
}

TEST(RelayFields, SwapsTheTokenAndDropsHopByHopFields) {
  const Fields local{{"Host", "127.0.0.1:8080"},
                     {"Authorization", "Bearer local"},
                     {"Connection", "keep-alive, X-Trace"},
                     {"X-Trace", "1"},
                     {"Keep-Alive", "timeout=5"},
                     {"Transfer-Encoding", "chunked"},
                     {"Content-Length", "5"},
                     {"Expect", "100-continue"},
                     {"X-Haul-Sha256", "abc"},
                     {"Content-Type", "text/plain"}};
  const Fields out = upstream_request_fields(local, "Bearer gateway", "gw:8443");
  EXPECT_EQ(find(out, "Host"), "127.0.0.1:8080");  // kept: SigV4 signs it
  EXPECT_EQ(find(out, "Authorization"), "Bearer gateway");
  EXPECT_EQ(find(out, "X-Haul-Sha256"), "abc");
  EXPECT_EQ(find(out, "Content-Type"), "text/plain");
  for (const char* gone : {"Connection", "X-Trace", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Expect"}) {
    EXPECT_EQ(find(out, gone), "<absent>") << gone;
  }
  int authorizations = 0;
  for (const auto& [n, v] : out) authorizations += n == "Authorization" || n == "authorization";
  EXPECT_EQ(authorizations, 1);  // the local token never goes on
}

TEST(RelayFields, KeepsASignedRequestsOwnAuthorization) {
  const Fields local{{"host", "127.0.0.1:8080"},
                     {"authorization", "AWS4-HMAC-SHA256 Credential=..."},
                     {"x-amz-date", "20261206T000000Z"}};
  const Fields out = upstream_request_fields(local, "", "gw:8443");
  EXPECT_EQ(out, local);
}

TEST(RelayFields, Http2PseudoFieldsBecomeTheRequestLineAndAuthorityTheHost) {
  const Fields local{{":method", "GET"}, {":path", "/v1/objects/a"}, {"authorization", "Bearer local"}};
  const Fields out = upstream_request_fields(local, "Bearer g", "gw:8443");
  EXPECT_EQ(find(out, ":method"), "<absent>");
  EXPECT_EQ(find(out, "Host"), "gw:8443");
  EXPECT_EQ(find(out, "Authorization"), "Bearer g");
}

TEST(RelayFields, ResponseLosesItsFramingOnly) {
  const Fields upstream{{"Content-Length", "10"},
                        {"Connection", "close"},
                        {"Content-Type", "application/json"},
                        {"X-Haul-Error", "no such key"},
                        {"ETag", "\"e\""}};
  const Fields out = downstream_response_fields(upstream);
  EXPECT_EQ(out, (Fields{{"Content-Type", "application/json"}, {"X-Haul-Error", "no such key"}, {"ETag", "\"e\""}}));
}

TEST(RelayFields, GatewayTokenIsTheFilesFirstToken) {
  EXPECT_EQ(bearer_from_token_file("# comment\n  tok1 \ntok2\n", "f"), "Bearer tok1");
  EXPECT_THROW(bearer_from_token_file("# only a comment\n", "f"), Error);
}

TEST(GatewayUrl, Parses) {
  auto a = parse_gateway_url("https://gw.example:8443");
  EXPECT_TRUE(a.tls);
  EXPECT_EQ(a.host, "gw.example");
  EXPECT_EQ(a.port, 8443);
  EXPECT_EQ(a.authority, "gw.example:8443");
  a = parse_gateway_url("http://[::1]:9000/");
  EXPECT_FALSE(a.tls);
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 9000);
  EXPECT_EQ(parse_gateway_url("https://gw").port, 443);
  EXPECT_EQ(parse_gateway_url("http://gw").port, 80);
  for (const char* bad : {"ftp://gw", "gw:80", "http://", "http://gw:0", "http://gw:70000", "http://gw:x",
                          "http://gw/path", "http://u@gw", "http://[::1", "http://gw:"}) {
    EXPECT_THROW(parse_gateway_url(bad), Error) << bad;
  }
}

TEST(EdgeConfig, NeedsBothTokenFiles) {
  EdgeConfig c;
  c.gateway_url = "http://127.0.0.1:8080";
  EXPECT_THROW(validate(c), Error);
  c.gateway_token_file = "g";
  EXPECT_THROW(validate(c), Error);
  c.local.token_file = "l";
  EXPECT_NO_THROW(validate(c));
  c.ca_file = "ca.pem";
  EXPECT_THROW(validate(c), Error);  // a CA for a plain gateway is a mistake
}

TEST(EdgeConfig, AUnixSocketListenerNeedsNoClientTokens) {
  EdgeConfig c;
  c.gateway_url = "http://127.0.0.1:8080";
  c.gateway_token_file = "g";
  apply_listen_flags({"unix:/run/haul/edge.sock"}, c.local);
  EXPECT_FALSE(c.local.listen_plain);
  EXPECT_EQ(c.local.unix_listen, "/run/haul/edge.sock");
  EXPECT_NO_THROW(validate(c));
  apply_listen_flags({"127.0.0.1:9000", "unix:/tmp/e.sock"}, c.local);
  EXPECT_TRUE(c.local.listen_plain);
  EXPECT_EQ(c.local.listen_port, 9000);
  EXPECT_EQ(c.local.unix_listen, "/tmp/e.sock");
  EXPECT_THROW(validate(c), Error);  // the TCP listener asks for client tokens
}

TEST(EdgeConfig, ListenFlagsTakeOneOfEachKind) {
  gateway::GatewayConfig local;
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {}, {"unix:"}, {"unix:/a", "unix:/b"}, {"127.0.0.1:1", "127.0.0.1:2"}, {"not an address"}}) {
    EXPECT_THROW(apply_listen_flags(bad, local), Error) << (bad.empty() ? "(none)" : bad.front());
  }
}

TEST(WindowWarmup, OnlyOnLongPathsAndWhenAsked) {
  EXPECT_FALSE(should_warm_window(1 << 20, 100));   // loopback
  EXPECT_FALSE(should_warm_window(1 << 20, 4999));  // a LAN: slow start ends in milliseconds
  EXPECT_TRUE(should_warm_window(1 << 20, 5000));
  EXPECT_TRUE(should_warm_window(1 << 20, 200000));  // the seeds' link
  EXPECT_FALSE(should_warm_window(0, 200000));       // --warm-window 0
}

TEST(EdgeConfig, WarmWindowIsBounded) {
  EdgeConfig c;
  c.gateway_url = "http://127.0.0.1:8080";
  c.gateway_token_file = "g";
  c.local.token_file = "l";
  c.warm_window_bytes = uint64_t{64} << 20;
  EXPECT_NO_THROW(validate(c));
  c.warm_window_bytes = (uint64_t{64} << 20) + 1;
  EXPECT_THROW(validate(c), Error);
}

}  // namespace
}  // namespace haul::edge
