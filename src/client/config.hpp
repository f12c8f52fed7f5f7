#pragma once
// Client configuration: a plain struct with defaults, validated once before
// any connection is opened. Parsing flags/env lives in apps/haul/cmd_client.cpp.

#include <chrono>
#include <cstdint>
#include <string>

#include "http_client/tls.hpp"

namespace haul::client {

struct ClientConfig {
  std::string gateway;  // base URL, e.g. http://127.0.0.1:8080 (no trailing slash needed)
  // A local `haul edge`'s Unix socket: requests go there, `gateway` is then
  // http://localhost (set from "unix:PATH" by use_gateway_target).
  std::string unix_socket;
  std::string token;  // bearer token; empty sends no Authorization header
  std::string store;  // X-Haul-Store; empty = the gateway's default store
  // Connections per gateway. 8: each new connection starts with its own
  // 10-segment initial window, so 8 warm connections carry ~8x more in the
  // first round trips of a cold transfer; browsers settle on 6-8 per host for
  // the same reason, and 8 fds are nothing for the gateway.
  unsigned connections = 8;
  // HTTP/2 connections that small transfers' streams spread over (a tree's
  // files; one transfer at a time stays on the first). Each starts with a
  // 10-segment initial window, and a 1000-file tree is all first flight: on
  // the 200 ms link 1000 files of 4 KiB took 1.86-2.17 s up and 2.22-2.62 s
  // down over 8, 1.59-1.88 and 1.79-2.08 s over 32, no better over 64
  // (docs/benchmarks.md). 32 initial windows (~460 KB) stay within the first
  // flight a cold put's stripes may send (--cold-flight, 1152 KiB).
  unsigned stream_connections = 32;
  // Parts of big uploads / ranges of big downloads. 8 MiB: large enough that
  // the per-part round trip is small against the part's transfer time on a
  // 100 Mbit/s, 200 ms link (8 MiB = 670 ms), a multiple of the 64 KiB segment.
  uint64_t part_size = 8ull << 20;
  // Transfers in flight for many small files; 0 picks by protocol: 1000
  // streams over HTTP/2 (spread over `connections` warm connections), 16
  // over HTTP/1.1 (each needs a connection of its own, at most `connections`
  // at once).
  unsigned inflight = 0;
  // "auto": HTTP/2 over https:// (h2 by ALPN, HTTP/1.1 if the gateway
  // declines), HTTP/1.1 over http://. "2": HTTP/2 on http:// too (prior
  // knowledge, h2c), refused with libcurl before 8.0: 7.88 fails every
  // request after the first on a reused h2c connection (curl#10634, fixed
  // in 8.0.0 by curl#10643). "1.1": HTTP/1.1 only. Small transfers are
  // multiplexed as streams over HTTP/2; parts, ranges and stripes keep
  // HTTP/1.1 connections of their own either way (docs/client.md "HTTP/2").
  std::string http = "auto";
  // The first upload of a cold pool (haul put FILE in a fresh process) goes
  // out as up to this many ~12 KiB stripes, each on its own fresh connection,
  // so the whole object fits the first flight of the initial windows instead
  // of slow start's several round trips on one connection (plan_stripes,
  // docs/client.md "Cold uploads"). 96 covers 1 MiB (86 stripes) in one
  // flight; 0 turns stripes off. Afterwards the pool's limit is `connections`
  // again. Only over connections with RTT >= 20 ms (plan.hpp kStripeMinRttUs).
  unsigned cold_stripes = 96;
  // The most payload the first flight of a cold transfer's stripes (or cold
  // ranges of a download) may carry together: each fresh connection carries
  // one initial window (~12 KiB, 10 KiB over TLS), so this caps their number
  // (plan.hpp cold_request_limit). 1152 KiB = 96 x 12 KiB covers 1 MiB in one
  // round trip; 0 turns them off. Why this default: docs/client.md "The first
  // flight's budget".
  uint64_t cold_flight = 96 * 12 * 1024;
  // TCP_CONGESTION of the pool's sockets: "auto" chooses per upload body
  // (net/send_congestion.hpp: cubic for a burst that fits the window, bbr after
  // an idle gap or for a burst far larger than the window); a name ("bbr",
  // "cubic") pins it; empty leaves the host's default.
  std::string congestion = "auto";
  // CURLOPT_TCP_FASTOPEN over plain HTTP too (when the kernel's client bit is
  // set; over https:// the pool always uses it). Off by default: libcurl 7.88
  // cannot read the peer address of a Fast Open socket at connect time
  // ("getpeername() failed with errno 107"), and a plain connection keeps
  // that empty address, so libcurl refuses to reuse it ("still name
  // resolving, can't reuse"): once the gateway has handed out a cookie every
  // request opens a new connection - measured on the emulated link: 4
  // requests, 4 connections, ~470 ms each instead of 1 connection and ~220
  // ms. (A TLS connection reads the address again after its handshake.)
  bool fastopen = false;
  unsigned retries = 3;  // attempts per idempotent step
  // Pauses between attempts (client/retry.hpp): retry_base doubling up to
  // retry_cap, each drawn from its upper three quarters (jitter).
  std::chrono::milliseconds retry_base{100};
  std::chrono::milliseconds retry_cap{2000};
  long connect_timeout_ms = 10000;
  long stall_timeout_s = 60;  // abort a transfer moving < 1 B/s for this long
  // https:// gateways: verification on (system store, or --cacert), an
  // optional --pin-sha256, --insecure only by explicit flag.
  http_client::TlsOptions tls;
  // The TLS session cache file shared by processes (tls_session_file.hpp);
  // "" keeps sessions in this process only.
  std::string tls_session_file;
  // --trace FILE (env HAUL_TRACE): a JSON line per request (trace.hpp); empty: none.
  std::string trace_file;
};

constexpr uint64_t segment_size = 64 * 1024;  // the format's segment; parts are multiples

// Throws Error(config) with one readable line on a bad value.
void validate(const ClientConfig& config);

// Small transfers go as HTTP/2 streams (--http, and the gateway's scheme).
bool uses_http2(const ClientConfig& config);
// HTTP/2 streams in flight on one connection at most: the gateway's default
// SETTINGS_MAX_CONCURRENT_STREAMS (--h2-max-streams 256). More would make
// libcurl open another connection in the same multi, where it can match
// answers to the wrong transfers (pool.cpp); the pool spreads the streams
// over --stream-connections connections (one multi each) instead.
inline constexpr unsigned kHttp2StreamsPerConnection = 256;
// Streams in flight for many small files over HTTP/2 by default (capped at
// kHttp2StreamsPerConnection x --stream-connections): every request of a 1000-file
// tree in one round trip. Each round of requests costs a round trip: on the
// 200 ms link 1000 files of 4 KiB took 4.1 s up with 64 in flight, 2.6 s
// with 128 and 2.0 s with 256 (docs/benchmarks.md). Under the gateway's
// --max-requests-per-token (1024), so a listing or a second process beside
// it is not refused.
inline constexpr unsigned kHttp2DefaultInflight = 1000;
// ... and until the pool's first stream has been answered (the gateway's
// SETTINGS come before any answer), at most this many per connection:
// libcurl 7.88 assumes 100 streams per HTTP/2 connection until SETTINGS
// arrive (lib/http2.h DEFAULT_MAX_CONCURRENT_STREAMS) and would open another
// connection for more. Held at 100 throughout (commit 0bbfa22), 1000 files of
// 4 KiB took 3.5 s up and 5.8 s down on the 200 ms link instead of 2.6 and
// 3.7 (docs/benchmarks.md, HTTP/2).
inline constexpr unsigned kHttp2InflightBeforeSettings = 100;

// Transfers in flight for many small files: --inflight, or by protocol when 0
// (HTTP/2: kHttp2DefaultInflight, at most kHttp2StreamsPerConnection per
// connection; HTTP/1.1: 16).
unsigned effective_inflight(const ClientConfig& config);

// URL without trailing slashes; "host:port" gets "http://".
std::string normalize_gateway(std::string url);

// Sets gateway and unix_socket from a URL, "host:port" or "unix:PATH".
void use_gateway_target(ClientConfig& config, const std::string& target);

}  // namespace haul::client
