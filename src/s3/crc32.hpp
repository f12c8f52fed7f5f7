#pragma once
// Table-driven reflected CRC-32 for the checksums S3 clients send in
// aws-chunked trailers (x-amz-checksum-crc32, x-amz-checksum-crc32c).
// Ours rather than a library's: zlib has CRC-32 but not CRC-32C (Castagnoli),
// and the two differ only in the polynomial, so one small class covers both.
// Byte-at-a-time: a few hundred MB/s, far above what the gateway's AEAD and
// network leave for it on an upload.

#include <array>
#include <cstdint>
#include <span>

namespace haul::s3 {

inline constexpr uint32_t kCrc32Polynomial = 0xEDB88320;   // zlib / ISO-HDLC, reflected
inline constexpr uint32_t kCrc32cPolynomial = 0x82F63B78;  // Castagnoli, reflected

class Crc32 {
 public:
  explicit Crc32(uint32_t reflected_polynomial);
  void update(std::span<const uint8_t> bytes);
  // The CRC of everything given so far (update() may continue afterwards).
  uint32_t value() const { return ~state_; }

 private:
  std::array<uint32_t, 256> table_{};
  uint32_t state_ = 0xFFFFFFFF;
};

}  // namespace haul::s3
