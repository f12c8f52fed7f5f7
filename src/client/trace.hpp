#pragma once
// `--trace FILE` (env HAUL_TRACE): one JSON line per finished request, so a
// transfer's parts, ranges and stripes can be laid out in time from the
// client's side (bench/part_timeline.py --client reads it). The gateway's
// access log cannot time a download: its answer ends for the gateway when the
// last byte entered the socket's send buffer, long before the client has it.
//
// A line: {"start": unix seconds, "end": unix seconds, "method", "path",
// "status", "bytes_up", "bytes_down", "port" (the connection's local port, 0
// when no byte went out), "attempt", "connect_ms", "first_byte_ms",
// "error" (when it failed), "warmup": true (a pool's own GET /healthz)}.

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "client/request.hpp"

namespace haul::client {

// The line for r, which ended at `end` (sans-IO: tested without a file).
std::string trace_line(const Request& r, std::chrono::system_clock::time_point end);

class TraceFile {
 public:
  // Opens `path` for appending (a put and a get may share one file);
  // Error(config) with the reason when it cannot.
  explicit TraceFile(const std::string& path);
  // Appends r's line and flushes it (a trace of an interrupted transfer keeps
  // what ended before). A failed write is ignored: the transfer matters more.
  void write(const Request& r, std::chrono::system_clock::time_point end);

 private:
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Close> file_;
};

}  // namespace haul::client
