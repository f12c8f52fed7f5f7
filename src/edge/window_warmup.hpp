#pragma once
// Opens a new gateway connection's congestion windows before a client needs
// them. A connection that carried only its greeting has the kernel's initial
// window (10 segments) in both directions: the first 1 MiB a local client
// sent through a fresh edge took 1525 ms on the 200 ms / 100 Mbit/s link
// (5.4x the warm limit; docs/benchmarks.md, issue 16). So each new
// connection on a long path sends `bytes` to the gateway's probe sink
// (PUT /v1/probe/upload) and reads `bytes` from its probe source
// (GET /v1/probe/download): both ends' slow starts run once, at the edge's
// start or reconnect, not in a client's request. The cost is 2 x bytes of
// link traffic per connection opened.

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace haul::edge {

class UpstreamConnection;

// Below this round trip slow start ends within milliseconds: no warm-up.
inline constexpr uint32_t kWarmWindowMinRttUs = 5000;

// Sans-IO: warm up a connection whose measured round trip is `rtt_us`.
inline bool should_warm_window(uint64_t bytes, uint32_t rtt_us) {
  return bytes > 0 && rtt_us >= kWarmWindowMinRttUs;
}

// The two probe exchanges on `conn` (idle, just greeted). `ec` is set when
// the connection cannot be used any more (a transport error, a timeout, an
// answer without keep-alive); a refusal the connection survives (e.g. 401:
// a gateway token the gateway does not know) is returned as its status with
// `ec` clear. Returns the HTTP status of the first non-200 answer, or 200.
boost::asio::awaitable<int> warm_window(UpstreamConnection& conn, const std::string& authority,
                                        const std::string& authorization, uint64_t bytes, std::chrono::seconds timeout,
                                        boost::system::error_code& ec);

}  // namespace haul::edge
