#include "s3/crc32.hpp"

namespace haul::s3 {

Crc32::Crc32(uint32_t reflected_polynomial) {
  // 2 KiB of shifts per object: cheap next to one request.
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) != 0 ? (c >> 1) ^ reflected_polynomial : c >> 1;
    table_[i] = c;
  }
}

void Crc32::update(std::span<const uint8_t> bytes) {
  uint32_t c = state_;
  for (uint8_t b : bytes) c = table_[(c ^ b) & 0xFF] ^ (c >> 8);
  state_ = c;
}

}  // namespace haul::s3
