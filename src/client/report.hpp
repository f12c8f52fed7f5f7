#pragma once
// Sans-IO: per-transfer statistics and how they are printed (a human line,
// or one JSON object per transfer for --json), plus the summary numbers.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http_client/timings.hpp"
#include "net/tcp_info.hpp"

namespace haul::client {

// Timings of one HTTP exchange, milliseconds from its start (a plain struct
// of the libcurl layer).
using Timings = http_client::Timings;

// One user-level transfer (a put or get of one object, possibly many requests).
struct TransferStats {
  std::string op;  // "put", "get", "rm", ...
  std::string key;
  uint64_t bytes = 0;   // payload bytes moved
  int status = 0;       // HTTP status of the final answer
  Timings timings;      // of the first request (connect, first byte) with total = whole transfer
  double total_ms = 0;  // whole transfer, all requests
  unsigned requests = 0;
  unsigned parts = 0;               // parts or ranges (0 = one plain request)
  long connections_opened = 0;      // libcurl's CURLINFO_NUM_CONNECTS summed over requests
  bool connection_reused = false;   // first request went over an existing connection
  std::string sha256;               // verified end-to-end digest
  std::optional<net::TcpInfo> tcp;  // TCP_INFO of the (last) connection used
};

// Bytes per second as "12.3 MB/s" (powers of 1000, like curl).
std::string format_rate(uint64_t bytes, double ms);
// "1.0 KiB", "8.0 MiB".
std::string format_bytes(uint64_t bytes);

// "put key 1.0 MiB 12.3 ms (connect 0.1, first byte 11.0) 85.2 MB/s reused"
std::string human_line(const TransferStats& s);
// One JSON object (no newline).
std::string json_line(const TransferStats& s);

struct Summary {
  size_t count = 0;
  double median_ms = 0, min_ms = 0, max_ms = 0, mean_ms = 0;
};
// Median of an even count is the mean of the two middle values. Empty -> zeros.
Summary summarize(std::vector<double> ms);

// ms / rtt_ms with one decimal ("2.1 RTT"); empty when rtt unknown (<= 0).
std::string in_rtts(double ms, double rtt_ms);

}  // namespace haul::client
