#include "doctor/path_result.hpp"

#include <nlohmann/json.hpp>

namespace haul::doctor {

net::TcpInfo tcp_info_from_json(const nlohmann::json& j) {
  net::TcpInfo i;
  auto get = [&j](const char* key, auto& field) {
    auto it = j.find(key);
    if (it != j.end() && !it->is_null()) field = it->get<std::decay_t<decltype(field)>>();
  };
  get("state", i.state);
  get("rtt_us", i.rtt_us);
  get("rttvar_us", i.rttvar_us);
  get("min_rtt_us", i.min_rtt_us);
  get("snd_cwnd", i.snd_cwnd);
  get("snd_ssthresh", i.snd_ssthresh);
  get("snd_mss", i.snd_mss);
  get("rcv_space", i.rcv_space);
  get("unacked", i.unacked);
  get("retrans", i.retrans);
  get("total_retrans", i.total_retrans);
  get("lost", i.lost);
  get("delivery_rate_bps", i.delivery_rate_bps);
  get("bytes_acked", i.bytes_acked);
  get("bytes_received", i.bytes_received);
  get("bytes_sent", i.bytes_sent);
  get("bytes_retrans", i.bytes_retrans);
  get("segs_out", i.segs_out);
  get("segs_in", i.segs_in);
  get("fastopen_used", i.fastopen_used);
  get("window_scaling", i.window_scaling);
  get("sack", i.sack);
  get("timestamps", i.timestamps);
  get("snd_wscale", i.snd_wscale);
  get("rcv_wscale", i.rcv_wscale);
  get("congestion", i.congestion);
  return i;
}

namespace {
nlohmann::json transfer_json(const std::optional<TransferResult>& t) {
  if (!t) return nullptr;
  return {{"bytes", t->bytes}, {"seconds", t->seconds}, {"rate_bps", t->rate_bps()}};
}
nlohmann::json info_json(const std::optional<net::TcpInfo>& i) {
  if (!i) return nullptr;
  return nlohmann::json::parse(net::tcp_info_json(*i));
}
nlohmann::json tls_json(const std::optional<TlsResult>& t) {
  if (!t) return nullptr;
  nlohmann::json handshakes = nlohmann::json::array();
  for (const auto& h : t->handshakes)
    handshakes.push_back({{"tcp_ms", h.tcp_s * 1000}, {"tls_ms", h.tls_s * 1000}, {"resumed", h.resumed}});
  return {{"protocol", t->protocol},
          {"cipher", t->cipher},
          {"alpn", t->alpn},
          {"certificate_subject", t->subject},
          {"certificate_not_after", t->not_after_unix ? nlohmann::json(*t->not_after_unix) : nlohmann::json(nullptr)},
          {"handshakes", handshakes}};
}

}  // namespace

nlohmann::json path_result_json(const PathResult& p) {
  nlohmann::json j;
  j["url"] = p.url;
  j["address"] = p.address;
  j["local"] = p.local;
  j["handshake_ms"] = nlohmann::json::array();
  for (double s : p.handshake_s) j["handshake_ms"].push_back(s * 1000);
  j["rtt_ms"] = p.rtt_s ? nlohmann::json(*p.rtt_s * 1000) : nlohmann::json(nullptr);
  j["tls"] = tls_json(p.tls);
  j["download"] = transfer_json(p.download);
  j["upload"] = transfer_json(p.upload);
  j["client_tcp_info"] = info_json(p.client_info);
  j["gateway_tcp_info"] = info_json(p.gateway_info);
  j["gateway_peer"] = p.gateway_peer;
  j["fastopen_used"] = p.fastopen_used ? nlohmann::json(*p.fastopen_used) : nlohmann::json(nullptr);
  j["notes"] = p.notes;
  return j;
}

}  // namespace haul::doctor
