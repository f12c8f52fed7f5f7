#include "net/tcp_info.hpp"

#include <nlohmann/json.hpp>

namespace haul::net {

std::string tcp_info_json(const TcpInfo& i) {
  nlohmann::json j = {
      {"state", i.state},
      {"rtt_us", i.rtt_us},
      {"rttvar_us", i.rttvar_us},
      {"min_rtt_us", i.min_rtt_us},
      {"rto_us", i.rto_us},
      {"last_data_sent_ms", i.last_data_sent_ms},
      {"snd_cwnd", i.snd_cwnd},
      {"snd_ssthresh", i.snd_ssthresh},
      {"snd_mss", i.snd_mss},
      {"rcv_space", i.rcv_space},
      {"unacked", i.unacked},
      {"retrans", i.retrans},
      {"total_retrans", i.total_retrans},
      {"lost", i.lost},
      {"delivery_rate_bps", i.delivery_rate_bps},
      {"bytes_acked", i.bytes_acked},
      {"bytes_received", i.bytes_received},
      {"bytes_sent", i.bytes_sent},
      {"bytes_retrans", i.bytes_retrans},
      {"segs_out", i.segs_out},
      {"segs_in", i.segs_in},
      {"fastopen_used", i.fastopen_used},
      {"window_scaling", i.window_scaling},
      {"sack", i.sack},
      {"timestamps", i.timestamps},
      {"snd_wscale", i.snd_wscale},
      {"rcv_wscale", i.rcv_wscale},
      {"congestion", i.congestion},
  };
  return j.dump();
}

}  // namespace haul::net
