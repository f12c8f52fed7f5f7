#include "gateway/access_line.hpp"

#include <time.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "gateway/redact.hpp"

namespace haul::gateway {

namespace {

// "2025-01-31T12:00:00.123Z"
std::string utc_millis(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const time_t seconds = static_cast<time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  const int millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
  struct tm parts {};
  ::gmtime_r(&seconds, &parts);
  char text[40];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", millis);
  return text;
}

}  // namespace

std::string format_access_line(const AccessRecord& r, std::span<const std::string> secrets) {
  nlohmann::ordered_json j;
  j["ts"] = utc_millis(r.time);
  j["conn"] = r.connection;
  j["peer"] = r.peer;
  j["method"] = redact_and_cut(r.method, secrets, kMaxMethod);
  j["target"] = redact_and_cut(r.target, secrets, kMaxTarget);
  j["status"] = r.status;
  j["bytes_in"] = r.bytes_in;
  j["bytes_out"] = r.bytes_out;
  j["ms"] = std::round(r.ms * 1000) / 1000;
  j["cut"] = r.cut;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace haul::gateway
