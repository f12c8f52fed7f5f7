#include "doctor/path_probe.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "doctor/generated_body.hpp"
#include "http_client/exchange.hpp"
#include "http_client/tls_share.hpp"
#include "net/local_address.hpp"

namespace haul::doctor {

namespace {

using http_client::Exchange;
using http_client::Failure;
using http_client::Options;

// Every probe: 5 s to connect, the whole request within timeout_s.
Options base_options(const ProbeOptions& o) {
  Options opt;
  opt.connect_timeout_ms = 5000;
  opt.timeout_ms = o.timeout_s * 1000;
  opt.http11 = false;
  opt.keepalive = false;
  opt.tls = o.tls;
  return opt;
}

// The answer's body: counted, and up to 64 KiB kept (JSON answers).
struct Sink final : http_client::BodyCollector {
  Sink() : BodyCollector(65536) {}
};

double seconds(double ms) {
  return ms / 1000.0;
}

std::optional<net::TcpInfo> socket_info(const Exchange& x) {
  int fd = x.active_socket();
  if (fd < 0) return std::nullopt;
  return net::read_tcp_info(fd);
}

int64_t now_unix() {
  return static_cast<int64_t>(std::time(nullptr));
}

void throw_if_unauthorized(long code) {
  if (code == 401)
    throw Error(ErrorKind::unauthorized, "the gateway refused the token (401): pass --token or set HAUL_TOKEN");
}

// Plain http: connections alone. https: a GET /healthz on each (a TLS 1.3
// server sends its session ticket after the handshake, so a connection must
// read before a later one can resume), every connection offered the
// session an earlier one received (one session cache for all of them).
void measure_handshakes(const ProbeOptions& o, PathResult& r) {
  const bool https = o.url.starts_with("https://");
  http_client::TlsSessions sessions;  // before the exchanges: their connections file sessions in it
  const std::string base = gateway_base(o.url);
  for (int i = 0; i < o.handshakes; ++i) {
    Exchange x;  // a new handle: a new connection
    Options opt = base_options(o);
    // HTTP/1.1 here: with libcurl 7.88 a blocking exchange over h2 files no
    // session for the next connection to resume (haul's pool does resume
    // over h2; measured: 0 of 4 resumed over h2, 4 of 4 over HTTP/1.1).
    // What ALPN the gateway prefers is asked once more below.
    opt.http11 = true;
    Sink sink;
    if (https) {
      opt.url = base + "/healthz";
      opt.tls_sessions = &sessions;
      opt.inspect_tls = true;
    } else {
      opt.url = o.url;
      opt.connect_only = true;
    }
    x.prepare(opt, sink);
    auto outcome = x.perform();
    if (outcome.failure == Failure::tls) {
      // Every later step would fail the same way: say it once, as the client does.
      std::string message = "TLS with gateway " + o.url + " failed: " + outcome.detail;
      if (auto hint = http_client::tls_hint(outcome.code); !hint.empty()) message += " (" + std::string(hint) + ")";
      throw Error(ErrorKind::config, message);
    }
    if (outcome.failure != Failure::none) {
      r.notes.push_back(fmt::format("handshake {}: {}", i + 1, outcome.detail));
      continue;
    }
    // connect time minus name lookup: the TCP handshake alone (TLS comes later).
    auto t = x.timings();
    const double tcp_s = seconds(t.connect_ms) - seconds(t.dns_ms);
    r.handshake_s.push_back(tcp_s);
    if (std::string ip = x.primary_ip(); !ip.empty()) r.address = ip;
    if (const auto& c = x.tls_connection()) {
      if (!r.tls) {
        r.tls = TlsResult{c->protocol, c->cipher, c->alpn, c->subject, c->not_after_unix, now_unix(), {}};
      }
      r.tls->handshakes.push_back({tcp_s, seconds(t.tls_ms), c->resumed});
    }
  }
  if (!r.handshake_s.empty()) r.rtt_s = *std::min_element(r.handshake_s.begin(), r.handshake_s.end());
  r.local = !r.address.empty() && net::is_local_host(r.address);
  if (r.tls) {
    // One more connection offering h2 and http/1.1: the protocol the
    // gateway chooses for clients that speak both (haul's pool, curl).
    Exchange x;
    Options opt = base_options(o);
    opt.url = base + "/healthz";
    opt.inspect_tls = true;
    Sink sink;
    x.prepare(opt, sink);
    if (x.perform().failure == Failure::none && x.tls_connection()) r.tls->alpn = x.tls_connection()->alpn;
  }
}

// Grows the transfer x4 from 1 MiB and returns the fastest one. On a long
// path a short transfer is mostly slow start and underestimates the rate, so
// it stops only when the rate has levelled off (< 20% better than the last)
// on a transfer of at least max(target_seconds, 6 RTT), at max_bytes, after
// 2 x max_seconds in all, or when the next transfer would take longer than
// max_seconds even at twice the rate just seen (rates still climb while the
// window opens, so the plain rate would overestimate the time).
// `run` does one transfer of n bytes.
template <typename Run>
std::optional<TransferResult> grow(const ProbeOptions& o, double rtt_s, Run run) {
  double enough = std::max(o.target_seconds, 6 * rtt_s);
  std::optional<TransferResult> best, last;
  uint64_t n = std::min<uint64_t>(1u << 20, o.max_bytes);
  double spent = 0;
  for (;;) {
    auto t = run(n);
    if (!t) return best;
    spent += t->seconds;
    if (!best || t->rate_bps() > best->rate_bps()) best = t;
    bool levelled = last && t->rate_bps() < last->rate_bps() * 1.2;
    last = t;
    if (n >= o.max_bytes) return best;
    if (t->seconds >= enough && levelled) return best;
    double next_s = rtt_s + static_cast<double>(n) * 4 * 8 / std::max(2 * t->rate_bps(), 1.0);
    if (next_s > o.max_seconds || spent >= 2 * o.max_seconds) return best;
    n = std::min(n * 4, o.max_bytes);
  }
}

void measure_transfers(const ProbeOptions& o, PathResult& r) {
  Exchange h;  // one handle: every transfer after the first reuses its warm connection
  const std::string base = gateway_base(o.url);
  auto options = [&](std::string url) {
    Options opt = base_options(o);
    opt.url = std::move(url);
    opt.headers.push_back("Authorization: Bearer " + o.token);
    return opt;
  };
  // Transfer time without the request's setup: from "about to send" to the end.
  auto transfer_seconds = [&h] {
    auto t = h.timings();
    return seconds(t.total_ms) - seconds(t.sent_ms);
  };

  r.download = grow(o, r.rtt_s.value_or(0), [&](uint64_t n) -> std::optional<TransferResult> {
    Sink sink;
    h.prepare(options(fmt::format("{}/v1/probe/download?bytes={}", base, n)), sink);
    auto outcome = h.perform();
    long code = h.head().status;
    throw_if_unauthorized(code);
    if (outcome.failure != Failure::none || code != 200 || sink.bytes != n) {
      r.notes.push_back(fmt::format("probe download of {} bytes: {} (HTTP {}, {} bytes received)", n,
                                    outcome.failure != Failure::none ? outcome.description : "unexpected answer", code,
                                    sink.bytes));
      return std::nullopt;
    }
    return TransferResult{n, transfer_seconds()};
  });

  if (r.download) {  // the gateway's TCP_INFO of this connection, right after it sent the download
    Sink sink;
    h.prepare(options(base + "/v1/probe/tcpinfo"), sink);
    auto outcome = h.perform();
    long code = h.head().status;
    if (outcome.failure == Failure::none && code == 200) {
      try {
        auto j = nlohmann::json::parse(sink.text);
        r.gateway_info = tcp_info_from_json(j);
        if (j.contains("peer") && j["peer"].is_string()) r.gateway_peer = j["peer"].get<std::string>();
      } catch (const std::exception& e) {
        r.notes.push_back(std::string("probe tcpinfo: not JSON: ") + e.what());
      }
    } else {
      r.notes.push_back(fmt::format("probe tcpinfo: {} (HTTP {})",
                                    outcome.failure != Failure::none ? outcome.description : "No error", code));
    }
  }

  r.upload = grow(o, r.rtt_s.value_or(0), [&](uint64_t n) -> std::optional<TransferResult> {
    GeneratedBody src{n};
    Options opt = options(base + "/v1/probe/upload");
    opt.method = "PUT";
    opt.streamed_size = n;
    h.prepare(opt, src);
    auto outcome = h.perform();
    long code = h.head().status;
    throw_if_unauthorized(code);
    if (outcome.failure != Failure::none || code != 200) {
      r.notes.push_back(fmt::format("probe upload of {} bytes: {} (HTTP {})", n,
                                    outcome.failure != Failure::none ? outcome.description : "unexpected answer",
                                    code));
      return std::nullopt;
    }
    try {  // the gateway counts what it sank: it must be every byte
      auto j = nlohmann::json::parse(src.text);
      if (j.value("bytes", uint64_t{0}) != n) {
        r.notes.push_back(
            fmt::format("probe upload: gateway counted {} of {} bytes", j.value("bytes", uint64_t{0}), n));
        return std::nullopt;
      }
    } catch (const std::exception&) {
      r.notes.push_back("probe upload: answer is not JSON");
      return std::nullopt;
    }
    return TransferResult{n, transfer_seconds()};
  });
  // The client socket after the upload: its sender-side counters.
  r.client_info = socket_info(h);
}

// Two fresh connections with TCP_FASTOPEN: the first fetches a cookie, the
// second can put its request in the SYN.
void measure_fastopen(const ProbeOptions& o, PathResult& r) {
  const std::string base = gateway_base(o.url);
  for (int i = 0; i < 2; ++i) {
    Exchange h;
    Options opt = base_options(o);
    opt.url = base + "/healthz";
    opt.fastopen = true;
    Sink sink;
    h.prepare(opt, sink);
    auto outcome = h.perform();
    if (outcome.failure != Failure::none) {
      r.notes.push_back(fmt::format("fast open connection {}: {}", i + 1, outcome.description));
      return;
    }
    auto info = socket_info(h);
    if (!info) {
      r.notes.push_back("fast open: the connection closed before its TCP_INFO was read");
      return;
    }
    if (i == 1) r.fastopen_used = info->fastopen_used;
    if (!r.client_info && i == 1) r.client_info = info;
  }
}

}  // namespace

std::string gateway_base(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

PathResult probe_path(const ProbeOptions& o) {
  PathResult r;
  r.url = o.url;
  measure_handshakes(o, r);
  if (!r.rtt_s) return r;  // unreachable: nothing else can work
  measure_transfers(o, r);
  measure_fastopen(o, r);
  return r;
}

}  // namespace haul::doctor
