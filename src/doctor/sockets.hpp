#pragma once
// `haul doctor sockets`: reads TCP sockets through sock_diag (and /proc for
// --pid and process names), analyzes them (sockets_analysis) and prints one
// report per sample.

#include <cstdint>
#include <cstdio>
#include <optional>

namespace haul::doctor {

struct SocketsOptions {
  std::optional<uint16_t> port;
  std::optional<int> pid;
  double watch_s = 0;  // 0: one sample; else sample every watch_s seconds
  int samples = 0;     // with watch: stop after this many (0: until interrupted)
  bool json = false;   // one JSON object per sample, one per line
  uint64_t time_wait_pile = 100;
  size_t max_lines = 40;  // sockets listed per sample in text form (counts are always complete)
};

// Prints to `out`. Throws haul::Error(not_found) for a --pid that does not exist.
void run_sockets(const SocketsOptions& options, std::FILE* out);

}  // namespace haul::doctor
