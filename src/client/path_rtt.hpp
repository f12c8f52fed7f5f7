#pragma once
// Sans-IO: the round trip of the path to the gateway as a pool knows it,
// and the rule that keeps stripes off short paths (put_op.hpp).

#include <cstdint>
#include <optional>

#include "client/request.hpp"
#include "net/tcp_info.hpp"

namespace haul::client {

class PathRtt {
 public:
  // What a recent process measured (path_memory.hpp), until this one measures.
  void set_hint(std::optional<uint32_t> rtt_us) { hint_us_ = rtt_us; }
  // A connection's TCP_INFO: keeps the smallest RTT seen on any connection
  // (the kernel's min_rtt when it has one, else its smoothed rtt).
  void measured(const net::TcpInfo& info) {
    const uint32_t rtt = info.min_rtt_us ? info.min_rtt_us : info.rtt_us;
    if (rtt == 0) return;
    if (!measured_us_ || rtt < *measured_us_) measured_us_ = rtt;
  }
  std::optional<uint32_t> measured_us() const { return measured_us_; }
  // The measured RTT, else the hint, else nullopt (unknown).
  std::optional<uint32_t> best_us() const { return measured_us_ ? measured_us_ : hint_us_; }

 private:
  std::optional<uint32_t> hint_us_;
  std::optional<uint32_t> measured_us_;
};

// The stripes' check, just before r goes out over a connection whose
// TCP_INFO (read after its handshake: the kernel's first RTT sample) is
// `info`. For a request with a minimum (Request::min_rtt_us) the RTT is
// recorded in path, and false is returned (r.declined set) when the
// connection's RTT is below the minimum. A connection whose TCP_INFO cannot
// be read is admitted.
inline bool admit(Request& r, const std::optional<net::TcpInfo>& info, PathRtt& path) {
  if (r.min_rtt_us == 0) return true;
  if (info) path.measured(*info);
  if (info && info->rtt_us < r.min_rtt_us) {
    r.declined = true;
    return false;
  }
  return true;
}

}  // namespace haul::client
