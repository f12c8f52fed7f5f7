#include "doctor/path_probe.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "doctor/generated_body.hpp"

namespace haul::doctor {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

Easy new_easy(const ProbeOptions& o) {
  Easy h(curl_easy_init());
  if (!h) throw Error(ErrorKind::internal, "curl_easy_init failed");
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, o.timeout_s);
  curl_easy_setopt(h.get(), CURLOPT_TCP_NODELAY, 1L);
  return h;
}

// Body sink: counts bytes, keeps up to 64 KiB of text (JSON answers).
struct Sink {
  uint64_t bytes = 0;
  std::string text;
  static size_t write(char* p, size_t size, size_t n, void* self) {
    auto* s = static_cast<Sink*>(self);
    s->bytes += size * n;
    if (s->text.size() < 65536) s->text.append(p, std::min<size_t>(size * n, 65536 - s->text.size()));
    return size * n;
  }
};

double info_seconds(CURL* h, CURLINFO what) {
  curl_off_t us = 0;
  curl_easy_getinfo(h, what, &us);
  return static_cast<double>(us) / 1e6;
}

long status_of(CURL* h) {
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

std::optional<net::TcpInfo> socket_info(CURL* h) {
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) return std::nullopt;
  return net::read_tcp_info(fd);
}

void throw_if_unauthorized(long code) {
  if (code == 401)
    throw Error(ErrorKind::unauthorized, "the gateway refused the token (401): pass --token or set HAUL_TOKEN");
}

// One request on the warm handle `h`; returns the curl result.
CURLcode perform(CURL* h, const std::string& url, Sink& sink) {
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Sink::write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  return curl_easy_perform(h);
}

void measure_handshakes(const ProbeOptions& o, PathResult& r) {
  for (int i = 0; i < o.handshakes; ++i) {
    Easy h = new_easy(o);
    curl_easy_setopt(h.get(), CURLOPT_URL, o.url.c_str());
    curl_easy_setopt(h.get(), CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h.get(), CURLOPT_FRESH_CONNECT, 1L);
    CURLcode rc = curl_easy_perform(h.get());
    if (rc != CURLE_OK) {
      r.notes.push_back(fmt::format("handshake {}: {}", i + 1, curl_easy_strerror(rc)));
      continue;
    }
    // connect time minus name lookup: the TCP handshake alone (TLS comes later).
    double s = info_seconds(h.get(), CURLINFO_CONNECT_TIME_T) - info_seconds(h.get(), CURLINFO_NAMELOOKUP_TIME_T);
    r.handshake_s.push_back(s);
    char* ip = nullptr;
    if (curl_easy_getinfo(h.get(), CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != nullptr) r.address = ip;
  }
  if (!r.handshake_s.empty()) r.rtt_s = *std::min_element(r.handshake_s.begin(), r.handshake_s.end());
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
  Easy h = new_easy(o);
  Slist headers(curl_slist_append(nullptr, ("Authorization: Bearer " + o.token).c_str()));
  curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers.get());
  std::string base = o.url;
  while (!base.empty() && base.back() == '/') base.pop_back();

  r.download = grow(o, r.rtt_s.value_or(0), [&](uint64_t n) -> std::optional<TransferResult> {
    Sink sink;
    curl_easy_setopt(h.get(), CURLOPT_HTTPGET, 1L);
    CURLcode rc = perform(h.get(), fmt::format("{}/v1/probe/download?bytes={}", base, n), sink);
    long code = status_of(h.get());
    throw_if_unauthorized(code);
    if (rc != CURLE_OK || code != 200 || sink.bytes != n) {
      r.notes.push_back(fmt::format("probe download of {} bytes: {} (HTTP {}, {} bytes received)", n,
                                    rc != CURLE_OK ? curl_easy_strerror(rc) : "unexpected answer", code, sink.bytes));
      return std::nullopt;
    }
    return TransferResult{n, info_seconds(h.get(), CURLINFO_TOTAL_TIME_T) - info_seconds(h.get(), CURLINFO_PRETRANSFER_TIME_T)};
  });

  if (r.download) {  // the gateway's TCP_INFO of this connection, right after it sent the download
    Sink sink;
    curl_easy_setopt(h.get(), CURLOPT_HTTPGET, 1L);
    CURLcode rc = perform(h.get(), base + "/v1/probe/tcpinfo", sink);
    long code = status_of(h.get());
    if (rc == CURLE_OK && code == 200) {
      try {
        auto j = nlohmann::json::parse(sink.text);
        r.gateway_info = tcp_info_from_json(j);
        if (j.contains("peer") && j["peer"].is_string()) r.gateway_peer = j["peer"].get<std::string>();
      } catch (const std::exception& e) {
        r.notes.push_back(std::string("probe tcpinfo: not JSON: ") + e.what());
      }
    } else {
      r.notes.push_back(fmt::format("probe tcpinfo: {} (HTTP {})", curl_easy_strerror(rc), code));
    }
  }

  r.upload = grow(o, r.rtt_s.value_or(0), [&](uint64_t n) -> std::optional<TransferResult> {
    Sink sink;
    GeneratedBody src{n};
    curl_easy_setopt(h.get(), CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h.get(), CURLOPT_READFUNCTION, &GeneratedBody::read);
    curl_easy_setopt(h.get(), CURLOPT_READDATA, &src);
    curl_easy_setopt(h.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(n));
    CURLcode rc = perform(h.get(), base + "/v1/probe/upload", sink);
    curl_easy_setopt(h.get(), CURLOPT_UPLOAD, 0L);
    long code = status_of(h.get());
    throw_if_unauthorized(code);
    if (rc != CURLE_OK || code != 200) {
      r.notes.push_back(fmt::format("probe upload of {} bytes: {} (HTTP {})", n,
                                    rc != CURLE_OK ? curl_easy_strerror(rc) : "unexpected answer", code));
      return std::nullopt;
    }
    try {  // the gateway counts what it sank: it must be every byte
      auto j = nlohmann::json::parse(sink.text);
      if (j.value("bytes", uint64_t{0}) != n) {
        r.notes.push_back(fmt::format("probe upload: gateway counted {} of {} bytes", j.value("bytes", uint64_t{0}), n));
        return std::nullopt;
      }
    } catch (const std::exception&) {
      r.notes.push_back("probe upload: answer is not JSON");
      return std::nullopt;
    }
    return TransferResult{n, info_seconds(h.get(), CURLINFO_TOTAL_TIME_T) - info_seconds(h.get(), CURLINFO_PRETRANSFER_TIME_T)};
  });
  // The client socket after the upload: its sender-side counters.
  r.client_info = socket_info(h.get());
}

// Two fresh connections with TCP_FASTOPEN: the first fetches a cookie, the
// second can put its request in the SYN.
void measure_fastopen(const ProbeOptions& o, PathResult& r) {
  std::string base = o.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  for (int i = 0; i < 2; ++i) {
    Easy h = new_easy(o);
    curl_easy_setopt(h.get(), CURLOPT_TCP_FASTOPEN, 1L);
    Sink sink;
    CURLcode rc = perform(h.get(), base + "/healthz", sink);
    if (rc != CURLE_OK) {
      r.notes.push_back(fmt::format("fast open connection {}: {}", i + 1, curl_easy_strerror(rc)));
      return;
    }
    auto info = socket_info(h.get());
    if (!info) {
      r.notes.push_back("fast open: the connection closed before its TCP_INFO was read");
      return;
    }
    if (i == 1) r.fastopen_used = info->fastopen_used;
    if (!r.client_info && i == 1) r.client_info = info;
  }
}

}  // namespace

PathResult probe_path(const ProbeOptions& o) {
  global_init();
  PathResult r;
  r.url = o.url;
  measure_handshakes(o, r);
  if (!r.rtt_s) return r;  // unreachable: nothing else can work
  measure_transfers(o, r);
  measure_fastopen(o, r);
  return r;
}

}  // namespace haul::doctor
