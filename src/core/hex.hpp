#pragma once
// Lower-case hex encoding and strict decoding (used for keys, digests, ids).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace haul {

std::string to_hex(std::span<const uint8_t> bytes);
// nullopt when the text has odd length or a non-hex character.
std::optional<std::vector<uint8_t>> from_hex(std::string_view text);

}  // namespace haul
