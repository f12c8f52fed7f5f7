#pragma once
// Human text for bytes, rates and durations in findings ("4.0 MiB",
// "96.5 Mbit/s", "200.3 ms"). Pure functions.

#include <cstdint>
#include <string>

namespace haul::doctor {

std::string human_bytes(double bytes);      // binary units: B, KiB, MiB, GiB
std::string human_rate(double bits_per_s);  // decimal units: bit/s, kbit/s, Mbit/s, Gbit/s
std::string human_ms(double seconds);       // "0.052 ms", "200.3 ms", "1.50 s"

// Smallest power of two >= n (n >= 1).
uint64_t round_up_pow2(uint64_t n);

}  // namespace haul::doctor
