#pragma once
// haul bench: the seed's experiment, repeatable. The same object size sent
// (or fetched) `repeat` times in one of three modes:
//   new   - a fresh TCP connection per request (FRESH_CONNECT + FORBID_REUSE),
//           the seed's slow case: handshake + slow start every time;
//   reuse - one keep-alive connection for all requests (the seed's fix);
//   pool  - a warm pool of --connections opened in parallel before timing;
//           downloads split into parallel ranges over it, uploads use parts
//           when the object holds two --part-size parts.
// Prints each request and a summary (median/min/max, in ms and in RTTs),
// and the TCP connections opened, counted by libcurl and by the gateway's
// haul_connections_accepted_total (read from /metrics on a connection of its
// own, before and after, so the reading does not count itself).

#include <cstdint>
#include <ostream>
#include <string>

#include "client/config.hpp"

namespace haul::client {

struct BenchConfig {
  uint64_t size = 1024;
  unsigned repeat = 10;
  std::string mode = "reuse";  // new | reuse | pool
  std::string op = "put";      // put | get
  double rtt_ms = 0;           // 0: measured from connect times
  unsigned gap_ms = 0;         // idle pause before every request but the first (slow start after idle)
  bool json = false;
};

// Throws Error(config) on a bad mode/op/repeat.
void validate(const BenchConfig& bench);

// Runs the bench against config.gateway, printing to out. Throws Error when a
// request fails.
void run_bench(const ClientConfig& config, const BenchConfig& bench, std::ostream& out);

}  // namespace haul::client
