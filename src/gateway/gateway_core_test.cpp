// Sans-IO pieces of the gateway: routing, tokens, metrics, config (upload ids: upload_token_test.cpp).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "crypto/keyring.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/route.hpp"
#include "gateway/stripe_query.hpp"
#include "gateway/token_limiter.hpp"
#include "gateway/tokens.hpp"

using namespace haul;
using namespace haul::gateway;

TEST(Route, ObjectsAndQueries) {
  auto r = parse_route("/v1/objects/reports/a%20b.data?store=us");
  EXPECT_EQ(r.kind, RouteKind::object);
  EXPECT_EQ(r.key, "reports/a b.data");
  EXPECT_EQ(r.query.at("store"), "us");
  EXPECT_EQ(parse_route("/v1/objects?prefix=a/").kind, RouteKind::object_list);
  EXPECT_EQ(parse_route("/v1/objects?prefix=a/").query.at("prefix"), "a/");
  EXPECT_EQ(parse_route("/healthz").kind, RouteKind::healthz);
  EXPECT_EQ(parse_route("/readyz").kind, RouteKind::readyz);
  EXPECT_EQ(parse_route("/readyz?x=1").kind, RouteKind::readyz);
  EXPECT_EQ(parse_route("/metrics").kind, RouteKind::metrics);
  EXPECT_EQ(parse_route("/upload/files").kind, RouteKind::seed_upload);
  auto d = parse_route("/download/files?key=reports%2F1M.data");
  EXPECT_EQ(d.kind, RouteKind::seed_download);
  EXPECT_EQ(d.key, "reports/1M.data");
  EXPECT_EQ(parse_route("/v1/nope").kind, RouteKind::not_found);
  EXPECT_EQ(parse_route("/nope").kind, RouteKind::s3);
  EXPECT_EQ(parse_route("/").kind, RouteKind::s3);
  EXPECT_EQ(parse_route("/bucket/a/b?uploads").kind, RouteKind::s3);
  EXPECT_EQ(parse_route("/v1/objects/bad%zz").kind, RouteKind::bad_target);
  EXPECT_EQ(parse_route("/v1/objects?prefix=%zz").kind, RouteKind::bad_target);
}

TEST(Route, Uploads) {
  EXPECT_EQ(parse_route("/v1/uploads").kind, RouteKind::upload_create);
  auto p = parse_route("/v1/uploads/v1.abc.def/parts/7");
  EXPECT_EQ(p.kind, RouteKind::upload_part);
  EXPECT_EQ(p.upload_id, "v1.abc.def");
  EXPECT_EQ(p.part_number, 7u);
  EXPECT_EQ(parse_route("/v1/uploads/x/parts/0").kind, RouteKind::bad_target);
  EXPECT_EQ(parse_route("/v1/uploads/x/parts/10001").kind, RouteKind::bad_target);
  EXPECT_EQ(parse_route("/v1/uploads/x/parts/1x").kind, RouteKind::bad_target);
  EXPECT_EQ(parse_route("/v1/uploads/x/complete").kind, RouteKind::upload_complete);
  EXPECT_EQ(parse_route("/v1/uploads/x").kind, RouteKind::upload_abort);
  EXPECT_EQ(parse_route("/v1/probe/download?bytes=5").kind, RouteKind::probe_download);
}

TEST(Tokens, BearerOnly) {
  auto t = TokenSet::parse("# comment\nalpha\n\n  beta  \n");
  EXPECT_TRUE(t.authorizes("Bearer alpha"));
  EXPECT_TRUE(t.authorizes("Bearer beta"));
  EXPECT_FALSE(t.authorizes("Bearer alph"));
  EXPECT_FALSE(t.authorizes("Bearer alphaa"));
  EXPECT_FALSE(t.authorizes("alpha"));
  EXPECT_FALSE(t.authorizes("Basic alpha"));
  EXPECT_FALSE(t.authorizes(""));
  EXPECT_THROW(TokenSet::parse("# only a comment\n"), Error);
}

TEST(Tokens, MatchNamesTheTokenByItsPlace) {
  auto t = TokenSet::parse("alpha\n# comment\nbeta\n");
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.match("Bearer alpha"), 0u);
  EXPECT_EQ(t.match("Bearer beta"), 1u);
  EXPECT_EQ(t.match("Bearer gamma"), std::nullopt);
  EXPECT_EQ(t.match("beta"), std::nullopt);
}

TEST(TokenLimiter, SlotsPerTokenComeBack) {
  TokenLimiter limits(2, 2);
  auto a1 = limits.acquire(0);
  auto a2 = limits.acquire(0);
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(limits.acquire(0));  // the third of token 0
  EXPECT_EQ(limits.in_progress(0), 2u);
  {
    auto b = limits.acquire(1);  // another token is not affected
    EXPECT_TRUE(b);
    EXPECT_EQ(limits.in_progress(1), 1u);
  }
  EXPECT_EQ(limits.in_progress(1), 0u);
  a1.reset();  // a request ends
  EXPECT_EQ(limits.in_progress(0), 1u);
  auto a3 = limits.acquire(0);
  EXPECT_TRUE(a3);
  // Moving a slot moves the request, not a second count.
  TokenLimiter::Slot moved = std::move(*a3);
  a3.reset();
  EXPECT_EQ(limits.in_progress(0), 2u);
  moved = TokenLimiter::Slot();
  EXPECT_EQ(limits.in_progress(0), 1u);
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.connections_accepted = 3;
  m.count_request("GET", 200, 0.002);
  m.count_request("GET", 200, 0.5);
  m.count_request("PUT", 201, 0.01);
  m.count_connection_closed(2);
  auto text = m.render();
  EXPECT_NE(text.find("haul_connections_accepted_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("haul_requests_total{method=\"GET\",code=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("haul_requests_total{method=\"PUT\",code=\"201\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("haul_request_duration_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("haul_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("haul_requests_per_connection_count 1\n"), std::string::npos);
  // Cut responses: every reason is always there, so a scrape sees 0, not nothing.
  m.count_cut(CutReason::slow_reader);
  m.count_cut(CutReason::slow_reader);
  m.count_cut(CutReason::failed);
  text = m.render();
  EXPECT_NE(text.find("haul_responses_cut_total{reason=\"slow_reader\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("haul_responses_cut_total{reason=\"send_timeout\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("haul_responses_cut_total{reason=\"peer_gone\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("haul_responses_cut_total{reason=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("haul_requests_over_token_limit_total 0\n"), std::string::npos);
}

TEST(Metrics, LabelValuesAreBoundedWhateverClientsSend) {
  Metrics m;
  for (int i = 0; i < 5000; ++i) {
    m.count_request("M" + std::to_string(i) + std::string(200, 'X'), 405, 0.001);  // distinct methods
    m.count_request("GET", 100000 + i, 0.001);                                     // distinct (odd) statuses
  }
  m.count_request("get", 200, 0.001);  // methods are case-sensitive (RFC 9110 9.1)
  m.count_request("-", 400, 0.001);
  m.count_request("PUT", 299, 0.001);
  auto text = m.render();
  size_t series = 0;
  for (size_t at = text.find("\nhaul_requests_total{"); at != std::string::npos;
       at = text.find("\nhaul_requests_total{", at + 1)) {
    ++series;
  }
  EXPECT_EQ(series, 5u) << text;
  EXPECT_NE(text.find("haul_requests_total{method=\"other\",code=\"405\"} 5000\n"), std::string::npos);
  EXPECT_NE(text.find("haul_requests_total{method=\"GET\",code=\"other\"} 5000\n"), std::string::npos);
  EXPECT_NE(text.find("haul_requests_total{method=\"other\",code=\"200\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("haul_requests_total{method=\"-\",code=\"400\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("haul_requests_total{method=\"PUT\",code=\"2xx\"} 1\n"), std::string::npos);
  EXPECT_LT(text.size(), 8192u);
  EXPECT_EQ(method_label("DELETE"), "DELETE");
  EXPECT_EQ(method_label("GETX"), "other");
  EXPECT_EQ(method_label(""), "other");
}

TEST(Config, StoreFlags) {
  auto a = parse_store_flag("fs:/var/lib/haul");
  EXPECT_EQ(a.name, "default");
  EXPECT_EQ(a.url, "fs:/var/lib/haul");
  auto b = parse_store_flag("us=s3://bucket?endpoint=http://127.0.0.1:7480&region=us-east-1");
  EXPECT_EQ(b.name, "us");
  EXPECT_EQ(b.url, "s3://bucket?endpoint=http://127.0.0.1:7480&region=us-east-1");
  auto c = parse_store_flag("s3://bucket?endpoint=http://x");
  EXPECT_EQ(c.name, "default");
  EXPECT_THROW(parse_store_flag("=fs:/x"), Error);
  EXPECT_THROW(parse_store_flag("a b=fs:/x"), Error);
  GatewayConfig config;
  EXPECT_THROW(validate(config), Error);
  config.stores = {a, b};
  config.master_key_file = "k";
  config.token_file = "t";
  EXPECT_NO_THROW(validate(config));
  config.stores.push_back(a);
  EXPECT_THROW(validate(config), Error);
}

// The store id bound into format-2 objects: the name unless --store-id says otherwise.
TEST(Config, StoreIds) {
  std::vector<NamedStore> stores{parse_store_flag("fs:/a"), parse_store_flag("us=fs:/b")};
  EXPECT_EQ(stores[0].id, "default");
  EXPECT_EQ(stores[1].id, "us");
  apply_store_id_flag(stores, "us=archive-us:2024");
  EXPECT_EQ(stores[1].id, "archive-us:2024");
  EXPECT_EQ(stores[1].name, "us");
  EXPECT_THROW(apply_store_id_flag(stores, "eu=x"), Error);  // no such store
  EXPECT_THROW(apply_store_id_flag(stores, "us"), Error);
  EXPECT_THROW(apply_store_id_flag(stores, "us="), Error);
  EXPECT_THROW(apply_store_id_flag(stores, "us=a b"), Error);
  EXPECT_THROW(apply_store_id_flag(stores, "us=" + std::string(256, 'x')), Error);
  EXPECT_NO_THROW(apply_store_id_flag(stores, "us=" + std::string(255, 'x')));
  GatewayConfig config;
  config.stores = stores;
  config.master_key_file = "k";
  config.token_file = "t";
  EXPECT_NO_THROW(validate(config));
  config.min_format = 2;
  EXPECT_NO_THROW(validate(config));
  config.min_format = 3;
  EXPECT_THROW(validate(config), Error);
  config.min_format = 0;
  EXPECT_THROW(validate(config), Error);
}

TEST(Config, SlowReaderAndTokenLimits) {
  GatewayConfig config;
  config.stores = {parse_store_flag("fs:/x")};
  config.master_key_file = "k";
  config.token_file = "t";
  EXPECT_EQ(config.send_rate.min_bytes_per_second, 1024u);
  EXPECT_EQ(config.send_rate.window, std::chrono::seconds(30));
  EXPECT_EQ(config.max_requests_per_token, 1024u);
  EXPECT_NO_THROW(validate(config));
  config.send_rate.min_bytes_per_second = 0;  // no minimum is allowed
  EXPECT_NO_THROW(validate(config));
  config.send_rate.window = std::chrono::seconds(0);
  EXPECT_THROW(validate(config), Error);
  config.send_rate.window = std::chrono::seconds(30);
  config.max_requests_per_token = 0;
  EXPECT_THROW(validate(config), Error);
}

TEST(StripeQuery, ParsesAValidQuery) {
  const std::string sha(64, 'A');
  auto q = parse_stripe_query(
      {{"upload", "upload-01"}, {"stripe", "85"}, {"stripes", "86"}, {"size", "1048576"}, {"sha256", sha}});
  EXPECT_EQ(q.upload, "upload-01");
  EXPECT_EQ(q.stripe, 85u);
  EXPECT_EQ(q.layout.count, 86u);
  EXPECT_EQ(q.layout.stripe_size, 12u * 1024);
  EXPECT_EQ(q.sha256_hex, std::string(64, 'a'));  // lower-cased
  EXPECT_EQ(q.sha256[0], 0xaa);
  // Through the router, as the gateway sees it.
  auto r = parse_route("/v1/objects/k?upload=upload-01&stripe=0&stripes=2&size=4096&sha256=" + sha);
  EXPECT_EQ(parse_stripe_query(r.query).layout.stripe_size, 2048u);
  EXPECT_THROW(
      parse_stripe_query(
          {{"upload", "upload-01"}, {"stripe", "0"}, {"stripes", "99999999999"}, {"size", "4096"}, {"sha256", sha}}),
      Error);
}
