#include "core/utc_time.hpp"

#include <ctime>

namespace haul {

std::string format_utc(int64_t unix_seconds, const char* strftime_format) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  const size_t n = std::strftime(text, sizeof text, strftime_format, &tm);
  return std::string(text, n);
}

}  // namespace haul
