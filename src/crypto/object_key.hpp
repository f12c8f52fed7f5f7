#pragma once
// Per-object key derivation (HKDF-SHA256, RFC 5869), split out so the test
// vectors can check the derived key on its own.

#include <array>
#include <cstdint>

#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"

namespace haul::crypto {

inline constexpr char kObjectKeyInfo[] = "haul-v1 object key";  // then BE32(key_id)

// object_key = HKDF-SHA256(ikm = master.secret, salt = header.salt,
//                          info = "haul-v1 object key" || BE32(header.key_id), L = 32).
// Throws Error(internal) if OpenSSL fails. The caller should cleanse the result.
std::array<uint8_t, 32> derive_object_key(const MasterKey& master, const Header& header);

}  // namespace haul::crypto
