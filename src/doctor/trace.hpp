#pragma once
// `haul doctor trace`: one probe transfer to a gateway while a thread samples
// TCP_INFO of its connection every few ms; writes PREFIX.csv and, when
// gnuplot is installed, PREFIX.png.

#include <cstdint>
#include <string>
#include <vector>

#include "doctor/path_result.hpp"
#include "doctor/trace_format.hpp"
#include "http_client/tls.hpp"

namespace haul::doctor {

enum class TraceDirection { upload, download };

struct TraceOptions {
  std::string url;
  std::string token;
  uint64_t size = 64ull << 20;
  int interval_ms = 5;
  std::string out_prefix = "haul-trace";
  TraceDirection direction = TraceDirection::upload;
  http_client::TlsOptions tls;  // https:// gateways: how their certificate is checked
};

struct TraceResult {
  TransferResult transfer;
  std::vector<TraceSample> samples;
  std::string side;  // whose socket was sampled, and why it is the sender or not
  std::string csv_path;
  std::string png_path;  // empty when no PNG was drawn
  std::string png_note;  // why not, and how to plot the CSV by hand
};

// Throws haul::Error on a failed transfer (unauthorized, unreachable, bad status).
TraceResult run_trace(const TraceOptions& options);

}  // namespace haul::doctor
