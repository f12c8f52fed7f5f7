#pragma once
// Sans-IO: the round trip of the path to the gateway as a pool knows it,
// and the rule that keeps stripes off short paths (put_op.hpp).

#include <cstdint>
#include <optional>

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

// Whether a request that wants a path of at least min_rtt_us (Request::
// min_rtt_us, 0: any) may go out over a connection with this TCP_INFO, read
// just after its handshake (the kernel's first RTT sample). A connection
// whose TCP_INFO cannot be read is admitted.
inline bool admits(uint32_t min_rtt_us, const std::optional<net::TcpInfo>& info) {
  return min_rtt_us == 0 || !info || info->rtt_us >= min_rtt_us;
}

}  // namespace haul::client
