// Unit tests of the client's sans-IO parts: planning parts and ranges,
// Content-Range parsing, the bounded queue, report/JSON formatting, the retry
// policy's client settings, Prometheus text, config validation and key <->
// path mapping. The state machines: ops_test.cpp.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "client/bench.hpp"
#include "client/bounded_queue.hpp"
#include "client/config.hpp"
#include "client/edge_socket.hpp"
#include "client/io.hpp"
#include "client/metrics_text.hpp"
#include "client/op.hpp"
#include "client/plan.hpp"
#include "client/report.hpp"
#include "client/request.hpp"
#include "client/retry.hpp"
#include "client/trace.hpp"
#include "client/tree.hpp"
#include "core/error.hpp"
#include "core/test_temp_dir.hpp"

namespace haul::client {
namespace {

TEST(Plan, SpansCoverEveryByteOnceInOrder) {
  for (uint64_t size : {1ull, 65535ull, 65536ull, 65537ull, 3 * 65536ull, 10 * 65536ull + 7}) {
    auto spans = plan_spans(size, 65536);
    uint64_t expect_offset = 0;
    uint32_t n = 1;
    for (const auto& s : spans) {
      EXPECT_EQ(s.number, n++);
      EXPECT_EQ(s.offset, expect_offset);
      EXPECT_GT(s.length, 0u);
      EXPECT_LE(s.length, 65536u);
      expect_offset += s.length;
    }
    EXPECT_EQ(expect_offset, size);
    EXPECT_EQ(spans.size(), (size + 65535) / 65536);
  }
}

TEST(Plan, EmptyObjectIsOneEmptySpan) {
  auto spans = plan_spans(0, 8 << 20);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].number, 1u);
  EXPECT_EQ(spans[0].length, 0u);
}

TEST(Plan, PartsOnlyFromTwoFullParts) {
  EXPECT_FALSE(use_parts(0, 1 << 20));
  EXPECT_FALSE(use_parts((2 << 20) - 1, 1 << 20));
  EXPECT_TRUE(use_parts(2 << 20, 1 << 20));
  EXPECT_FALSE(use_parts(100, 0));
}

TEST(Plan, SpreadPartSizeIsSegmentMultipleAndCovers) {
  EXPECT_EQ(spread_part_size(1024, 8), 65536u);
  EXPECT_EQ(spread_part_size(0, 8), 65536u);
  EXPECT_EQ(spread_part_size(10 << 20, 8), (10u << 20) / 8);  // 1.25 MiB is 20 segments
  for (uint64_t size : {1ull, 999999ull, 10485760ull, 268435456ull + 3}) {
    for (unsigned c : {1u, 3u, 8u}) {
      uint64_t p = spread_part_size(size, c);
      EXPECT_EQ(p % segment_size, 0u);
      EXPECT_LE(plan_spans(size, p).size(), c);
    }
  }
}

TEST(Plan, BalancedPartsComeInFullRoundsOfConnections) {
  // 200 MiB in 8 MiB parts over 8 connections: 25 parts, the last alone;
  // balanced: 32 parts of 6.25 MiB (100 segments).
  EXPECT_EQ(balanced_part_size(200ull << 20, 8 << 20, 8), 6553600u);
  EXPECT_EQ(plan_spans(200ull << 20, 6553600).size(), 32u);
  // Already full rounds: unchanged (1 GiB is 128 parts of 8 MiB).
  EXPECT_EQ(balanced_part_size(1ull << 30, 8 << 20, 8), 8u << 20);
  // One connection, or nothing to cut: the given size.
  EXPECT_EQ(balanced_part_size(200ull << 20, 8 << 20, 1), 8u << 20);
  EXPECT_EQ(balanced_part_size(0, 8 << 20, 8), 8u << 20);
  // Past the gateway's 10000 parts: the given size (the gateway then says why).
  EXPECT_EQ(balanced_part_size(9999ull * 65536, 65536, 3), 65536u);
  for (uint64_t size : {16ull << 20, (16ull << 20) + 1, 100000000ull, (200ull << 20) + 12345, 5ull << 30}) {
    for (unsigned c : {2u, 3u, 8u, 16u}) {
      const uint64_t p = balanced_part_size(size, 8 << 20, c);
      EXPECT_EQ(p % segment_size, 0u) << size << " " << c;
      EXPECT_LE(p, 8u << 20) << size << " " << c;
      const uint64_t count = plan_spans(size, p).size();
      EXPECT_EQ(count % c, 0u) << size << " parts " << count << " over " << c;
      EXPECT_TRUE(use_parts(size, p));
    }
  }
}

TEST(Plan, StripesFillInitialWindowsOnlyWhereTheyPay) {
  // 1 MiB: 86 stripes of 12 KiB, each inside one fresh connection's window.
  auto one_mib = plan_stripes(1 << 20, 96);
  ASSERT_TRUE(one_mib);
  EXPECT_EQ(one_mib->count, 86u);
  EXPECT_LE(one_mib->stripe_size, kStripeTarget);
  // Over TLS (Finished and record headers in the same first flight): 1 MiB
  // wants 103 stripes of 10 KiB; 96 allowed round up to 11 KiB each (8 packets
  // of body), which 94 cover.
  auto over_tls = plan_stripes(1 << 20, 96, kStripeTargetTls);
  ASSERT_TRUE(over_tls);
  EXPECT_EQ(over_tls->count, 94u);
  EXPECT_EQ(over_tls->stripe_size, 11u * 1024);
  // Fewer allowed: bigger stripes, still covering the object.
  auto capped = plan_stripes(1 << 20, 32);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->count, 32u);
  EXPECT_EQ(capped->stripe_size, 32u * 1024);
  // Not worth it, or not allowed.
  EXPECT_FALSE(plan_stripes(2 * kStripeTarget - 1, 96));
  EXPECT_FALSE(plan_stripes(1 << 20, 0));
  EXPECT_FALSE(plan_stripes(1 << 20, 1));
  EXPECT_FALSE(plan_stripes(kMaxStripedSize + 1, 96));
  // Every size in a range plans a valid layout whose stripes cover it.
  for (uint64_t size = 2 * kStripeTarget; size < 2 * kStripeTarget + 5000; size += 7) {
    auto l = plan_stripes(size, 96);
    ASSERT_TRUE(l) << size;
    EXPECT_GT(l->length(l->count - 1), 0u) << size;
    EXPECT_EQ(l->offset(l->count - 1) + l->length(l->count - 1), size);
  }
}

TEST(Plan, TheFirstFlightBudgetCapsStripesAndColdRanges) {
  // The defaults: 96 stripes of 12 KiB, 96 of 10 KiB over TLS (115 would fit the budget).
  EXPECT_EQ(cold_request_limit(96, 96 * 12 * 1024, kStripeTarget), 96u);
  EXPECT_EQ(cold_request_limit(96, 96 * 12 * 1024, kStripeTargetTls), 96u);
  // A budget of 256 KiB: 21 stripes, whatever --cold-stripes allows.
  EXPECT_EQ(cold_request_limit(96, 256 * 1024, kStripeTarget), 21u);
  // Fewer than two: off.
  EXPECT_EQ(cold_request_limit(96, 23 * 1024, kStripeTarget), 0u);
  EXPECT_EQ(cold_request_limit(96, 0, kStripeTarget), 0u);
  EXPECT_EQ(cold_request_limit(0, 1 << 20, kStripeTarget), 0u);
  // Cold ranges: the gateway's stripe limit holds for them too; off below two.
  auto cold = plan_cold_ranges(96, kStripeTarget, 8);
  ASSERT_TRUE(cold);
  EXPECT_EQ(cold->count, 96u);
  EXPECT_EQ(cold->range_size, kStripeTarget);
  EXPECT_EQ(cold->rest_connections, 8u);
  EXPECT_EQ(plan_cold_ranges(500, kStripeTarget, 8)->count, kMaxStripes);
  EXPECT_FALSE(plan_cold_ranges(0, kStripeTarget, 8));
  EXPECT_FALSE(plan_cold_ranges(1, kStripeTarget, 8));
}

TEST(Plan, ContentRange) {
  auto cr = parse_content_range("bytes 0-1023/4096");
  ASSERT_TRUE(cr);
  EXPECT_EQ(*cr->first, 0u);
  EXPECT_EQ(*cr->last, 1023u);
  EXPECT_EQ(cr->total, 4096u);
  cr = parse_content_range("bytes */0\r\n");
  ASSERT_TRUE(cr);
  EXPECT_FALSE(cr->first);
  EXPECT_EQ(cr->total, 0u);
  for (const char* bad : {"", "bytes", "bytes 0-1/", "bytes 5-1/10", "bytes 0-10/10", "items 0-1/2", "bytes -1/2",
                          "bytes 0-1/x", "bytes 0-1-2/3", "bytes 1-2"})
    EXPECT_FALSE(parse_content_range(bad)) << bad;
  EXPECT_EQ(range_header_value(Span{2, 65536, 65536}), "bytes=65536-131071");
}

TEST(Plan, ContentRangeEveryPrefixIsRejectedOrEqual) {
  // Truncated header values (split at every byte) never parse to a wrong range.
  std::string full = "bytes 100-199/1000";
  for (size_t i = 0; i < full.size(); ++i) {
    auto cr = parse_content_range(full.substr(0, i));
    if (cr) {
      EXPECT_NE(cr->total, 1000u) << i;  // only a shorter total can parse
    }
  }
  EXPECT_TRUE(parse_content_range(full));
}

TEST(BoundedQueue, RefusesWhenFullAndKeepsOrder) {
  BoundedQueue<std::unique_ptr<int>> q(2);
  auto a = std::make_unique<int>(1), b = std::make_unique<int>(2), c = std::make_unique<int>(3);
  EXPECT_TRUE(q.try_push(a));
  EXPECT_TRUE(q.try_push(b));
  EXPECT_TRUE(q.full());
  EXPECT_FALSE(q.try_push(c));
  ASSERT_TRUE(c);  // untouched when refused
  EXPECT_EQ(**q.pop(), 1);
  EXPECT_TRUE(q.try_push(c));
  EXPECT_EQ(**q.pop(), 2);
  EXPECT_EQ(**q.pop(), 3);
  EXPECT_FALSE(q.pop());
  EXPECT_EQ(q.size(), 0u);
}

TEST(BoundedQueue, NeverExceedsCapacityUnderAProducer) {
  BoundedQueue<int> q(16);
  size_t max_seen = 0;
  int produced = 0, consumed = 0;
  while (consumed < 10000) {
    while (produced < 10000) {
      int v = produced;
      if (!q.try_push(v)) break;
      ++produced;
    }
    max_seen = std::max(max_seen, q.size());
    for (int k = 0; k < 3; ++k)
      if (auto v = q.pop()) {
        EXPECT_EQ(*v, consumed++);
      }
  }
  EXPECT_EQ(max_seen, 16u);
}

size_t entries(const std::filesystem::path& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(TempFileSink, CreatedAtTheFirstWriteWhenAskedAndCommittedWhole) {
  haul::testing::TempDir dir("haul-sink");
  const auto final_path = (dir.path() / "f").string();
  {
    TempFileSink unused(final_path, TempFileSink::Create::on_first_write);
    EXPECT_EQ(entries(dir.path()), 0u);  // nothing made before the body arrives
  }
  EXPECT_EQ(entries(dir.path()), 0u);
  {
    TempFileSink failed(final_path, TempFileSink::Create::on_first_write);
    failed.write_at(0, "abc", 3);
    EXPECT_TRUE(std::filesystem::exists(failed.temp_path()));
  }
  EXPECT_EQ(entries(dir.path()), 0u);  // an uncommitted temp file is removed
  {
    TempFileSink sink(final_path, TempFileSink::Create::on_first_write);
    sink.write_at(0, "hello", 5);
    EXPECT_EQ(sink.sha256_of_written(5), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    sink.commit(5);
  }
  EXPECT_EQ(std::filesystem::file_size(final_path), 5u);
  EXPECT_EQ(entries(dir.path()), 1u);
  {
    TempFileSink empty((dir.path() / "empty").string(), TempFileSink::Create::on_first_write);
    empty.commit(0);  // an empty object: no write, still a file
  }
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "empty"), 0u);
  // Created at once (the default), a directory that cannot hold it fails
  // before any request.
  EXPECT_THROW(TempFileSink((dir.path() / "missing" / "f").string()), Error);
}

TEST(Report, SummaryMedianMinMax) {
  auto s = summarize({5, 1, 3});
  EXPECT_EQ(s.count, 3u);
  EXPECT_DOUBLE_EQ(s.median_ms, 3);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.max_ms, 5);
  s = summarize({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(s.median_ms, 2.5);
  EXPECT_DOUBLE_EQ(s.mean_ms, 2.5);
  s = summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_DOUBLE_EQ(s.median_ms, 0);
}

TEST(Report, JsonLineHasTheSchema) {
  TransferStats s;
  s.op = "put";
  s.key = "a/b";
  s.bytes = 1 << 20;
  s.status = 201;
  s.total_ms = 10.12345;
  s.timings.connect_ms = 0.5;
  s.timings.first_byte_ms = 9.25;
  s.connection_reused = true;
  s.sha256 = std::string(64, 'a');
  auto j = nlohmann::json::parse(json_line(s));
  EXPECT_EQ(j["op"], "put");
  EXPECT_EQ(j["key"], "a/b");
  EXPECT_EQ(j["bytes"], 1 << 20);
  EXPECT_EQ(j["status"], 201);
  EXPECT_DOUBLE_EQ(j["ms"].get<double>(), 10.123);
  EXPECT_DOUBLE_EQ(j["first_byte_ms"].get<double>(), 9.25);
  EXPECT_EQ(j["connection_reused"], true);
  EXPECT_EQ(j["rate_bps"], static_cast<uint64_t>((1 << 20) * 8000.0 / 10.12345));
  EXPECT_TRUE(j["tcp_info"].is_null());
  EXPECT_DOUBLE_EQ(j["tls_ms"].get<double>(), 0);  // plain http, or a reused connection
  s.timings.tls_ms = 201.5;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(json_line(s))["tls_ms"].get<double>(), 201.5);
  EXPECT_NE(human_line(s).find("(connect 0.5, tls 201.5, first byte 9.2)"), std::string::npos) << human_line(s);
  s.tcp = net::TcpInfo{};
  s.tcp->snd_cwnd = 42;
  j = nlohmann::json::parse(json_line(s));
  EXPECT_EQ(j["tcp_info"]["snd_cwnd"], 42);
}

TEST(Report, HumanFormats) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(10 << 20), "10.0 MiB");
  EXPECT_EQ(format_rate(1000000, 1000), "1.0 MB/s");
  EXPECT_EQ(format_rate(1, 0), "-");
  EXPECT_EQ(in_rtts(410, 200), "2.0 RTT");
  EXPECT_EQ(in_rtts(410, 0), "");
  TransferStats s;
  s.op = "get";
  s.key = "k";
  s.bytes = 2048;
  s.total_ms = 2;
  s.connections_opened = 1;
  EXPECT_EQ(human_line(s), "get k 2.0 KiB 2.0 ms (connect 0.0, first byte 0.0) 1.0 MB/s new-conns 1");
}

TEST(Trace, LineNamesTheRequestItsTimesAndItsConnection) {
  Request r;
  r.method = "GET";
  r.path = "/v1/objects/big";
  r.status = 206;
  r.body_bytes_received = 8 << 20;
  r.local_port = 40123;
  r.attempt = 2;
  r.timings.first_byte_ms = 201.5;
  r.launched_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'250));
  const auto end = r.launched_at + std::chrono::milliseconds(900);
  auto j = nlohmann::json::parse(trace_line(r, end));
  EXPECT_DOUBLE_EQ(j["start"].get<double>(), 1'700'000'000.25);
  EXPECT_DOUBLE_EQ(j["end"].get<double>(), 1'700'000'001.15);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/v1/objects/big");
  EXPECT_EQ(j["status"], 206);
  EXPECT_EQ(j["bytes_up"], 0);
  EXPECT_EQ(j["bytes_down"], 8 << 20);
  EXPECT_EQ(j["port"], 40123);
  EXPECT_EQ(j["attempt"], 2);
  EXPECT_DOUBLE_EQ(j["first_byte_ms"].get<double>(), 201.5);
  EXPECT_FALSE(j.contains("error"));
  EXPECT_FALSE(j.contains("warmup"));
  r.failure = Failure::transport;
  r.error = "connection reset";
  r.warmup = true;
  j = nlohmann::json::parse(trace_line(r, end));
  EXPECT_EQ(j["error"], "connection reset");
  EXPECT_EQ(j["warmup"], true);
}

TEST(Trace, AFileThatCannotBeOpenedIsAConfigError) {
  EXPECT_THROW(
      {
        try {
          TraceFile("/nonexistent-dir/trace.jsonl");
        } catch (const Error& e) {
          EXPECT_EQ(e.kind(), ErrorKind::config);
          EXPECT_NE(std::string(e.what()).find("--trace /nonexistent-dir/trace.jsonl"), std::string::npos);
          throw;
        }
      },
      Error);
}

TEST(Op, GatewayStatusesMapToKinds) {
  Request r;
  r.failure = Failure::http;
  r.status = 429;  // the gateway's per-token limit
  EXPECT_EQ(error_kind_of(r), ErrorKind::too_many_requests);
  r.status = 416;
  EXPECT_EQ(error_kind_of(r), ErrorKind::range_not_satisfiable);
  r.status = 418;
  EXPECT_EQ(error_kind_of(r), ErrorKind::internal);
}

TEST(Retry, ClientPolicyFromConfig) {
  ClientConfig c;
  c.retries = 5;
  c.retry_base = std::chrono::milliseconds(30);
  RetryPolicy p = retry_policy(c);
  EXPECT_EQ(p.attempts, 5u);
  EXPECT_EQ(p.base, std::chrono::milliseconds(30));
  EXPECT_EQ(p.cap, std::chrono::milliseconds(2000));
  // Towards the gateway: 429 and 502-504 are repeated, 500 (maybe an
  // integrity failure) is not.
  EXPECT_TRUE(http_client::should_retry(p, Failure::http, 429, true, 1));
  EXPECT_TRUE(http_client::should_retry(p, Failure::http, 503, true, 4));
  EXPECT_FALSE(http_client::should_retry(p, Failure::http, 503, true, 5));
  EXPECT_FALSE(http_client::should_retry(p, Failure::http, 500, true, 1));
  EXPECT_FALSE(http_client::should_retry(p, Failure::local, 0, true, 1));
  EXPECT_EQ(http_client::backoff(p, 2, 0.0), std::chrono::milliseconds(60));
  EXPECT_EQ(http_client::backoff(p, 2, 1.0), std::chrono::milliseconds(15));
}

TEST(Metrics, PrometheusValue) {
  std::string text =
      "# HELP haul_connections_accepted_total Accepted\n"
      "# TYPE haul_connections_accepted_total counter\n"
      "haul_connections_accepted_total_extra 9\n"
      "haul_connections_accepted_total 17\r\n"
      "haul_requests_total{method=\"GET\",code=\"200\"} 3 1700000000\n";
  EXPECT_EQ(prometheus_value(text, "haul_connections_accepted_total"), 17.0);
  EXPECT_EQ(prometheus_value(text, "haul_requests_total{method=\"GET\",code=\"200\"}"), 3.0);
  EXPECT_FALSE(prometheus_value(text, "haul_connections_open"));
  EXPECT_FALSE(prometheus_value("x abc\n", "x"));
  EXPECT_FALSE(prometheus_value("", "x"));
  // Any truncation of the text yields the right value or nothing, never garbage.
  for (size_t i = 0; i < text.size(); ++i) {
    auto v = prometheus_value(text.substr(0, i), "haul_connections_accepted_total");
    if (v) {
      EXPECT_TRUE(*v == 17.0 || *v == 1.0) << i;
    }
  }
}

TEST(Config, Validation) {
  ClientConfig c;
  EXPECT_THROW(validate(c), Error);  // no gateway
  c.gateway = "http://127.0.0.1:1";
  EXPECT_NO_THROW(validate(c));
  auto bad = [&](auto change) {
    ClientConfig d = c;
    change(d);
    try {
      validate(d);
      return false;
    } catch (const Error& e) {
      return e.kind() == ErrorKind::config;
    }
  };
  EXPECT_TRUE(bad([](ClientConfig& d) { d.part_size = 1000; }));
  EXPECT_TRUE(bad([](ClientConfig& d) { d.part_size = 0; }));
  EXPECT_TRUE(bad([](ClientConfig& d) { d.connections = 0; }));
  EXPECT_TRUE(bad([](ClientConfig& d) { d.stream_connections = 0; }));
  EXPECT_TRUE(bad([](ClientConfig& d) { d.stream_connections = 257; }));
  EXPECT_FALSE(bad([](ClientConfig& d) { d.stream_connections = 256; }));
  EXPECT_TRUE(bad([](ClientConfig& d) { d.inflight = 5000; }));
  EXPECT_FALSE(bad([](ClientConfig& d) { d.inflight = 0; }));  // by protocol
  EXPECT_TRUE(bad([](ClientConfig& d) { d.http = "3"; }));
  EXPECT_FALSE(bad([](ClientConfig& d) { d.http = "1.1"; }));
  EXPECT_TRUE(bad([](ClientConfig& d) { d.congestion = "bbr;rm"; }));
  EXPECT_TRUE(bad([](ClientConfig& d) { d.gateway = "ftp://x"; }));
  EXPECT_FALSE(bad([](ClientConfig& d) { d.part_size = 3 * segment_size; }));
  EXPECT_EQ(normalize_gateway("127.0.0.1:8080/"), "http://127.0.0.1:8080");
  // HTTP/2 by default over https:// only, with many more transfers in flight.
  ClientConfig plain, tls;
  plain.gateway = "http://h";
  tls.gateway = "https://h";
  EXPECT_FALSE(uses_http2(plain));
  EXPECT_TRUE(uses_http2(tls));
  EXPECT_EQ(effective_inflight(plain), 16u);
  EXPECT_EQ(effective_inflight(tls), 1000u);
  tls.inflight = 3000;  // more streams than the gateway allows 4 connections
  tls.stream_connections = 4;
  EXPECT_EQ(effective_inflight(tls), 4 * 256u);
  tls.stream_connections = 1;
  EXPECT_EQ(effective_inflight(tls), 256u);
  tls.connections = 1;  // the bulk connections do not count
  tls.stream_connections = 32;
  EXPECT_EQ(effective_inflight(tls), 3000u);
  tls.connections = 8;
  tls.inflight = 0;
  tls.http = "1.1";
  EXPECT_FALSE(uses_http2(tls));
  tls.inflight = 7;
  EXPECT_EQ(effective_inflight(tls), 7u);
  EXPECT_EQ(normalize_gateway("https://h//"), "https://h");
}

TEST(Config, TlsOptions) {
  ClientConfig c;
  c.gateway = "https://127.0.0.1:1";
  EXPECT_NO_THROW(validate(c));  // verification against the system's store
  auto message = [&](auto change) -> std::string {
    ClientConfig d = c;
    change(d);
    try {
      validate(d);
      return "";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      return e.what();
    }
  };
  const std::string pin = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  EXPECT_EQ(message([&](ClientConfig& d) { d.tls.pin_sha256 = pin; }), "");
  EXPECT_EQ(message([&](ClientConfig& d) { d.tls.pin_sha256 = "sha256//" + pin; }), "");
  EXPECT_EQ(message([](ClientConfig& d) { d.tls.insecure = true; }), "");
  EXPECT_NE(message([](ClientConfig& d) { d.tls.pin_sha256 = "abc"; }).find("--pin-sha256"), std::string::npos);
  EXPECT_NE(message([](ClientConfig& d) { d.tls.ca_file = "/nonexistent/ca.pem"; }).find("--cacert: cannot read"),
            std::string::npos);
  EXPECT_NE(message([&](ClientConfig& d) {
              d.tls.insecure = true;
              d.tls.pin_sha256 = pin;
            }).find("--insecure"),
            std::string::npos);
  EXPECT_NE(message([](ClientConfig& d) {
              d.tls.insecure = true;
              d.tls.ca_file = "/dev/null";
            }).find("--insecure"),
            std::string::npos);
  EXPECT_EQ(message([](ClientConfig& d) { d.tls.ca_file = "/dev/null"; }), "");  // readable; its contents are libcurl's
}

TEST(Config, BenchValidation) {
  BenchConfig b;
  EXPECT_NO_THROW(validate(b));
  b.mode = "fast";
  EXPECT_THROW(validate(b), Error);
  b.mode = "pool";
  b.op = "post";
  EXPECT_THROW(validate(b), Error);
  b.op = "get";
  b.repeat = 0;
  EXPECT_THROW(validate(b), Error);
}

TEST(Keys, EncodingKeepsSlashesInPathsOnly) {
  EXPECT_EQ(encode_key("a/b c%.txt"), "a/b%20c%25.txt");
  EXPECT_EQ(encode_query("a/b&c=d"), "a%2Fb%26c%3Dd");
  EXPECT_EQ(encode_key("\xc3\xa9"), "%C3%A9");
}

TEST(Keys, LocalPathsStayUnderRoot) {
  EXPECT_EQ(local_path_for("/d", "p/", "p/a/b.txt"), std::filesystem::path("/d/a/b.txt"));
  EXPECT_EQ(local_path_for("/d", "p", "p/a"), std::filesystem::path("/d/a"));
  EXPECT_EQ(local_path_for("/d", "", "x"), std::filesystem::path("/d/x"));
  EXPECT_EQ(local_path_for("/d", "p/file", "p/file"), std::filesystem::path("/d/file"));
  for (const char* key : {"p/../etc/passwd", "p/a//b", "p/./a", "p/a/..", "p/a/"})
    EXPECT_THROW(local_path_for("/d", "p/", key), Error) << key;
  EXPECT_THROW(local_path_for("/d", "q/", "p/a"), Error);
  EXPECT_EQ(key_for("", "a/b"), "a/b");
  EXPECT_EQ(key_for("pre", "a/b"), "pre/a/b");
  EXPECT_EQ(key_for("pre/", "a"), "pre/a");
}

TEST(EdgeSocket, TheUsersOwnEdgeComesBeforeTheService) {
  EXPECT_EQ(edge_socket_candidates("/run/user/1000"),
            (std::vector<std::string>{"/run/user/1000/haul/edge.sock", "/run/haul/edge.sock"}));
  EXPECT_EQ(edge_socket_candidates(nullptr), std::vector<std::string>{"/run/haul/edge.sock"});
  EXPECT_EQ(edge_socket_candidates(""), std::vector<std::string>{"/run/haul/edge.sock"});
}

TEST(Config, AUnixTargetSetsTheSocketAndALocalhostUrl) {
  ClientConfig c;
  use_gateway_target(c, "unix:/tmp/e.sock");
  EXPECT_EQ(c.gateway, "http://localhost");
  EXPECT_EQ(c.unix_socket, "/tmp/e.sock");
  use_gateway_target(c, "127.0.0.1:8080/");
  EXPECT_EQ(c.gateway, "http://127.0.0.1:8080");
  EXPECT_TRUE(c.unix_socket.empty());
}

}  // namespace
}  // namespace haul::client
