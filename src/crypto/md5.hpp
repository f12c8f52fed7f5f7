#pragma once
// MD5 over OpenSSL's EVP interface, for S3's ETag only: S3 clients (rclone,
// aws-cli) compare an object's ETag with the MD5 of what they sent. MD5 is
// not a security property anywhere in haul; integrity comes from AES-GCM and
// SHA-256. Every OpenSSL return code is checked; a failure throws
// Error(internal). Sans-IO: bytes in, digests out.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace haul::crypto {

inline constexpr size_t kMd5Size = 16;
using Md5Digest = std::array<uint8_t, kMd5Size>;

// Incremental MD5. Move-only (a copy would share the running state); a
// moved-from hasher may only be assigned to or destroyed.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5&&) noexcept;
  Md5& operator=(Md5&&) noexcept;

  void update(std::span<const uint8_t> bytes);
  // The digest of everything given since construction or the last digest;
  // the hasher starts over afterwards.
  Md5Digest finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Md5Digest md5(std::span<const uint8_t> bytes);
std::string md5_hex(std::span<const uint8_t> bytes);

}  // namespace haul::crypto
