#pragma once
// The x-amz-checksum-* values S3 clients attach to an upload, as a header
// (x-amz-checksum-sha256: BASE64) or as an aws-chunked trailer: CRC-32,
// CRC-32C, CRC-64/NVME, SHA-1 and SHA-256 of the payload, base64 of the
// big-endian digest. Sans-IO: feed the payload, compare the value.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace haul::s3 {

class PayloadChecksum {
 public:
  // The checksum a header or trailer name asks for ("x-amz-checksum-crc32",
  // any case), or nullopt when the name is no x-amz-checksum-* this knows.
  static std::optional<PayloadChecksum> for_name(std::string_view name);

  PayloadChecksum(PayloadChecksum&&) noexcept;
  PayloadChecksum& operator=(PayloadChecksum&&) noexcept;
  ~PayloadChecksum();

  void update(std::span<const uint8_t> bytes);
  // Base64 of the digest of everything given; call once, at the end.
  std::string base64();
  // "x-amz-checksum-crc32", lower case: the header that carries it.
  const std::string& name() const { return name_; }
  // "CRC32": how S3's XML names it (<ChecksumCRC32>).
  std::string algorithm() const;

 private:
  struct State;
  PayloadChecksum(std::string name, std::unique_ptr<State> state);

  std::string name_;
  std::unique_ptr<State> state_;
};

// Base64 (RFC 4648, padded) of bytes.
std::string base64(std::span<const uint8_t> bytes);

}  // namespace haul::s3
