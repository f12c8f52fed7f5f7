#include "doctor/path_checks.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "doctor/tls_checks.hpp"
#include "doctor/units.hpp"

namespace haul::doctor {

namespace {

std::optional<double> best_rate(const PathResult& p) {
  double r = 0;
  if (p.download) r = std::max(r, p.download->rate_bps());
  if (p.upload) r = std::max(r, p.upload->rate_bps());
  if (r <= 0) return std::nullopt;
  return r;
}

Finding skipped(const char* id, std::string why) {
  Finding f;
  f.id = id;
  f.status = Status::skip;
  f.value = "not measured";
  f.why = std::move(why);
  return f;
}

std::optional<int64_t> autotune_max(const SysctlValue& v) {
  if (!v.text) return std::nullopt;
  auto ints = net::parse_sysctl_ints(*v.text);
  if (!ints || ints->size() != 3) return std::nullopt;
  return (*ints)[2];
}

// Fraction of sent bytes that were retransmitted, or nullopt when nothing was sent.
std::optional<double> loss_ratio(const std::optional<net::TcpInfo>& i) {
  if (!i || i->bytes_sent == 0) return std::nullopt;
  return static_cast<double>(i->bytes_retrans) / static_cast<double>(i->bytes_sent);
}

}  // namespace

PathModel path_model_from(const PathResult& path, const PathModel& fallback) {
  auto rate = best_rate(path);
  if (!path.rtt_s || !rate || *path.rtt_s <= 0) return fallback;
  PathModel m;
  m.rtt_s = *path.rtt_s;
  m.rate_bps = *rate;
  m.measured = true;
  return m;
}

Finding check_path_rtt(const PathResult& p) {
  if (!p.rtt_s)
    return [&] {
      Finding f = skipped("path.rtt", "no TCP handshake with the gateway succeeded");
      f.status = Status::fail;
      f.fix = "check the gateway URL and that `haul gateway` listens there";
      return f;
    }();
  Finding f;
  f.id = "path.rtt";
  std::string samples;
  for (double s : p.handshake_s) samples += (samples.empty() ? "" : ", ") + human_ms(s);
  f.value = fmt::format("{} (min of {} TCP handshakes: {})", human_ms(*p.rtt_s), p.handshake_s.size(), samples);
  f.why = "a new connection costs one RTT before the request and slow start costs more: reuse warm connections";
  return f;
}

Finding check_path_bandwidth(const PathResult& p) {
  if (!p.download && !p.upload) return skipped("path.bandwidth", "no probe transfer completed (see notes)");
  Finding f;
  f.id = "path.bandwidth";
  auto part = [](const char* dir, const std::optional<TransferResult>& t) {
    if (!t) return fmt::format("{} not measured", dir);
    return fmt::format("{} {} ({} in {})", dir, human_rate(t->rate_bps()), human_bytes(static_cast<double>(t->bytes)),
                       human_ms(t->seconds));
  };
  f.value = part("download", p.download) + "; " + part("upload", p.upload);
  // The senders' own latest delivery-rate samples, for comparison.
  if (p.gateway_info && p.gateway_info->delivery_rate_bps)
    f.value +=
        fmt::format("; gateway delivery_rate {}", human_rate(static_cast<double>(p.gateway_info->delivery_rate_bps)));
  if (p.client_info && p.client_info->delivery_rate_bps)
    f.value +=
        fmt::format("; client delivery_rate {}", human_rate(static_cast<double>(p.client_info->delivery_rate_bps)));
  f.why = "one warm stream, request to last byte: a lower bound of the path's rate (slow start included)";
  return f;
}

Finding check_path_bdp(const PathResult& p) {
  auto rate = best_rate(p);
  if (!p.rtt_s || !rate) return skipped("path.bdp", "needs both the RTT and a probe transfer");
  Finding f;
  f.id = "path.bdp";
  double bdp = *rate / 8 * *p.rtt_s;
  f.value = fmt::format("{} = {} x {}", human_bytes(bdp), human_rate(*rate), human_ms(*p.rtt_s));
  f.recommended = fmt::format("windows (socket buffers) of at least {}", human_bytes(bdp));
  f.why = "bytes in flight needed to keep the path busy: a window below it idles the link every RTT";
  return f;
}

Finding check_stream_cap(const PathResult& p, const LocalFacts& facts) {
  auto rmax = autotune_max(facts.tcp_rmem), wmax = autotune_max(facts.tcp_wmem);
  if (!p.rtt_s || (!rmax && !wmax)) return skipped("path.stream_cap", "needs the RTT and tcp_rmem/tcp_wmem");
  Finding f;
  f.id = "path.stream_cap";
  int64_t buf = std::min(rmax.value_or(INT64_MAX), wmax.value_or(INT64_MAX));
  double window = static_cast<double>(buf) / 2;
  double cap = window * 8 / *p.rtt_s;
  f.value =
      fmt::format("{} per stream (window ~{} / RTT {})", human_rate(cap), human_bytes(window), human_ms(*p.rtt_s));
  auto rate = best_rate(p);
  if (rate && cap < *rate * 1.25) {
    f.status = Status::warn;
    f.recommended = fmt::format("window >= {} (2 x BDP)", human_bytes(2 * *rate / 8 * *p.rtt_s));
    f.why =
        "the measured rate is at the window cap: socket buffers, not the link, limit one stream, so the link "
        "may be faster than measured and the BDP larger (fix sysctl.tcp_rmem / sysctl.tcp_wmem on both hosts, "
        "then run doctor again)";
    return f;
  }
  f.why = "one stream's ceiling is window / RTT; above the measured rate, so the window is not the limit";
  return f;
}

Finding check_path_retransmits(const PathResult& p, const LocalFacts& facts) {
  auto up = loss_ratio(p.client_info), down = loss_ratio(p.gateway_info);
  if (!up && !down) return skipped("path.retransmits", "no TCP_INFO from a sending side (probe transfers failed)");
  Finding f;
  f.id = "path.retransmits";
  auto part = [](const char* dir, const std::optional<net::TcpInfo>& i, std::optional<double> r) {
    if (!r) return fmt::format("{} unknown", dir);
    return fmt::format("{} {:.3f}% ({} segments retransmitted, {} lost now)", dir, *r * 100, i->total_retrans, i->lost);
  };
  f.value = part("upload (client sender)", p.client_info, up) + "; " +
            part("download (gateway sender)", p.gateway_info, down);
  double worst = std::max(up.value_or(0), down.value_or(0));
  f.recommended = "< 0.1% retransmitted";
  if (worst < 0.001) {
    f.why = "little or no loss: the path is clean";
    return f;
  }
  f.status = worst < 0.01 ? Status::warn : Status::fail;
  std::string cc = facts.congestion_control.text.value_or("?");
  f.why = fmt::format(
      "{:.2f}% of the bytes were sent again: loss-based congestion control ({}) halves its window each "
      "time; bbr keeps its rate under random loss",
      worst * 100, cc);
  if (cc != "bbr") f.fix = "sysctl -w net.ipv4.tcp_congestion_control=bbr  # on the sending side (both hosts)";
  return f;
}

Finding check_path_fastopen(const PathResult& p, const LocalFacts& facts) {
  if (!p.fastopen_used) return skipped("path.fastopen", "TCP Fast Open was not tried (see notes)");
  Finding f;
  f.id = "path.fastopen";
  f.value = *p.fastopen_used ? "used (data in SYN accepted)" : "not used";
  f.recommended = "used";
  if (*p.fastopen_used) {
    f.why = "a new connection carries its request in the SYN: one RTT saved per new connection";
    return f;
  }
  f.status = Status::warn;
  bool client_on = false;
  if (facts.fastopen.text) {
    auto ints = net::parse_sysctl_ints(*facts.fastopen.text);
    client_on = ints && ints->size() == 1 && ((*ints)[0] & 1);
  }
  if (!client_on) {
    f.why = "this host's client bit of net.ipv4.tcp_fastopen is off: the SYN cannot carry data";
    f.fix = "sysctl -w net.ipv4.tcp_fastopen=3";
  } else {
    f.why =
        "the gateway did not accept data in SYN: its host needs the server bit (2) of net.ipv4.tcp_fastopen, "
        "and no middlebox may strip the option; with it a new TLS connection costs one round trip less "
        "(the ClientHello rides in the SYN)";
    f.fix = "sysctl -w net.ipv4.tcp_fastopen=3  # on the gateway host";
  }
  return f;
}

Finding check_path_options(const PathResult& p) {
  if (!p.client_info) return skipped("path.options", "no TCP_INFO of a connection to the gateway");
  const auto& i = *p.client_info;
  Finding f;
  f.id = "path.options";
  f.value = fmt::format("window scaling {} (snd {}, rcv {}), SACK {}, timestamps {}", i.window_scaling ? "yes" : "no",
                        i.snd_wscale, i.rcv_wscale, i.sack ? "yes" : "no", i.timestamps ? "yes" : "no");
  f.recommended = "window scaling, SACK and timestamps all negotiated";
  if (!i.window_scaling) {
    f.flag(Status::fail, "window scaling was not negotiated: this connection's window is capped at 64 KiB per RTT",
           "sysctl -w net.ipv4.tcp_window_scaling=1  # on both hosts; a middlebox may strip the option");
  } else if (!i.sack) {
    f.flag(Status::warn, "SACK was not negotiated: each loss costs extra round trips to repair",
           "sysctl -w net.ipv4.tcp_sack=1  # on both hosts");
  } else if (!i.timestamps) {
    f.flag(Status::warn, "timestamps were not negotiated: coarser RTT estimates, no PAWS",
           "sysctl -w net.ipv4.tcp_timestamps=1  # on both hosts");
  } else {
    f.why = "the handshake negotiated every option a long fat path needs";
  }
  return f;
}

Finding check_gateway_view(const PathResult& p) {
  if (!p.gateway_info) return skipped("path.gateway_view", "the gateway's /v1/probe/tcpinfo was not read (see notes)");
  const auto& g = *p.gateway_info;
  Finding f;
  f.id = "path.gateway_view";
  f.value = fmt::format(
      "peer {}: cwnd {} x mss {} ({}), rtt {} (min {}), retrans {}, delivery {}, cc {}",
      p.gateway_peer.empty() ? "?" : p.gateway_peer, g.snd_cwnd, g.snd_mss,
      human_bytes(static_cast<double>(g.snd_cwnd) * g.snd_mss), human_ms(g.rtt_us / 1e6), human_ms(g.min_rtt_us / 1e6),
      g.total_retrans, human_rate(static_cast<double>(g.delivery_rate_bps)), g.congestion.empty() ? "?" : g.congestion);
  if (!g.congestion.empty() && g.congestion != "bbr" && g.total_retrans > 0) {
    f.status = Status::warn;
    f.recommended = "bbr on the gateway host";
    f.why = fmt::format("the gateway sends downloads with {} and saw retransmits: each loss halves its window",
                        g.congestion);
    f.fix = "sysctl -w net.ipv4.tcp_congestion_control=bbr  # on the gateway host";
    return f;
  }
  f.why = "the gateway's side of this connection after the download probe (it is the sender of downloads)";
  return f;
}

std::vector<Finding> run_path_checks(const PathResult& path, const LocalFacts& facts) {
  std::vector<Finding> findings{check_path_rtt(path),
                                check_path_bandwidth(path),
                                check_path_bdp(path),
                                check_stream_cap(path, facts),
                                check_path_retransmits(path, facts),
                                check_path_fastopen(path, facts),
                                check_path_options(path),
                                check_gateway_view(path)};
  for (auto& f : run_tls_checks(path)) findings.push_back(std::move(f));
  return findings;
}

}  // namespace haul::doctor
