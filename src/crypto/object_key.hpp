#pragma once
// Per-object key derivation (HKDF-SHA256, RFC 5869), split out so the test
// vectors can check the derived key and its info string on their own.

#include <array>
#include <cstdint>
#include <vector>

#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"

namespace haul::crypto {

inline constexpr char kObjectKeyInfoV1[] = "haul-v1 object key";  // then BE32(key_id)
inline constexpr char kObjectKeyInfoV2[] = "haul-v2 object key";  // then BE32(key_id) and the identity
inline constexpr char kObjectKeyInfoV3[] = "haul-v3 object key";  // as v2; its own label keeps formats apart

// The HKDF info of header.version (docs/format.md section 3):
//   v1: "haul-v1 object key" || BE32(key_id)
//   v2: "haul-v2 object key" || BE32(key_id) || BE32(|store|) || store || BE32(|key|) || key
//   v3: the same with the label "haul-v3 object key"
// The length prefixes make the encoding injective: no two identities give the
// same info. Throws Error(internal) for a v2 identity with an empty or
// oversized field (docs: kMaxStoreIdSize, kMaxIdentityKeySize), or for
// another version.
std::vector<uint8_t> object_key_info(const Header& header, const ObjectIdentity& identity);

// object_key = HKDF-SHA256(ikm = master.secret, salt = header.salt,
//                          info = object_key_info(header, identity), L = 32).
// Throws Error(internal) if OpenSSL fails. The caller should cleanse the result.
std::array<uint8_t, 32> derive_object_key(const MasterKey& master, const Header& header,
                                          const ObjectIdentity& identity);

}  // namespace haul::crypto
