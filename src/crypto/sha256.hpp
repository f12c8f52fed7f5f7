#pragma once
// SHA-256, HMAC-SHA256 and HKDF-SHA256 over OpenSSL: the one place in haul
// that hashes. Every OpenSSL return code is checked; a failure (out of
// memory, a broken provider) throws Error(internal), never a wrong digest.
// Sans-IO: bytes in, digests out.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace haul::crypto {

inline constexpr size_t kSha256Size = 32;
using Digest = std::array<uint8_t, kSha256Size>;

// Incremental SHA-256. Move-only (a copy would share the running state); a
// moved-from hasher may only be assigned to or destroyed.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::span<const uint8_t> bytes);
  void update(const void* data, size_t size);
  // The digest of everything given since construction or the last digest;
  // the hasher starts over afterwards.
  Digest finish();
  std::string hex_digest();  // finish(), as 64 lower-case hex digits

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Digest sha256(std::span<const uint8_t> bytes);
std::string sha256_hex(std::span<const uint8_t> bytes);
std::string sha256_hex(std::string_view text);

Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data);

// HKDF-SHA256 (RFC 5869): fills out (at most 255 * 32 bytes) from the input
// keying material, salt (may be empty: RFC 5869 then uses 32 zero bytes) and
// info (the label that separates one use of a key from another).
void hkdf_sha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt, std::span<const uint8_t> info,
                 std::span<uint8_t> out);

// A string's bytes, for the functions above.
inline std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace haul::crypto
