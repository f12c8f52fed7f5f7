#include "doctor/units.hpp"

#include <fmt/format.h>

namespace haul::doctor {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::string human_rate(double bps) {
  const char* units[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
  int u = 0;
  while (bps >= 1000 && u < 4) {
    bps /= 1000;
    ++u;
  }
  return fmt::format("{:.1f} {}", bps, units[u]);
}

std::string human_ms(double seconds) {
  double ms = seconds * 1000;
  if (ms < 1) return fmt::format("{:.3f} ms", ms);
  if (ms < 1000) return fmt::format("{:.1f} ms", ms);
  return fmt::format("{:.2f} s", seconds);
}

uint64_t round_up_pow2(uint64_t n) {
  uint64_t p = 1;
  while (p < n && p < (uint64_t{1} << 62)) p <<= 1;
  return p;
}

}  // namespace haul::doctor
