#pragma once
// Human sizes and rates on the command line: "1K", "100KiB", "10M", "1G",
// "100mbit". K/M/G are powers of 1024 for sizes (like the seed's 1M.data);
// rates use powers of 1000 bits, as tc and iperf3 do.

#include <cstdint>
#include <optional>
#include <string_view>

namespace haul {

std::optional<uint64_t> parse_size(std::string_view text);
// Bits per second; nullopt on garbage.
std::optional<uint64_t> parse_rate_bps(std::string_view text);

}  // namespace haul
