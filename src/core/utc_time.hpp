#pragma once
// Unix seconds as UTC text, in whatever strftime format a caller needs
// (SigV4's "20261205T180000Z", doctor's "2026-12-05 18:00 UTC").

#include <cstdint>
#include <string>

namespace haul {

std::string format_utc(int64_t unix_seconds, const char* strftime_format);

}  // namespace haul
