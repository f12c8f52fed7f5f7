#include "client/trace.hpp"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace haul::client {

namespace {

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

std::string trace_line(const Request& r, std::chrono::system_clock::time_point end) {
  nlohmann::json j = {{"start", unix_seconds(r.launched_at)},
                      {"end", unix_seconds(end)},
                      {"method", r.method},
                      {"path", r.path},
                      {"status", r.status},
                      {"bytes_up", r.body_bytes_sent},
                      {"bytes_down", r.body_bytes_received},
                      {"port", r.local_port},
                      {"attempt", r.attempt},
                      {"connect_ms", r.timings.connect_ms},
                      {"first_byte_ms", r.timings.first_byte_ms}};
  if (!r.ok()) j["error"] = r.error;
  if (r.warmup) j["warmup"] = true;
  return j.dump();
}

TraceFile::TraceFile(const std::string& path) : file_(std::fopen(path.c_str(), "ae")) {
  if (!file_) throw Error(ErrorKind::config, "--trace " + path + ": " + std::strerror(errno));
}

void TraceFile::write(const Request& r, std::chrono::system_clock::time_point end) {
  const std::string line = trace_line(r, end) + "\n";
  std::fwrite(line.data(), 1, line.size(), file_.get());
  std::fflush(file_.get());
}

}  // namespace haul::client
