#include "crypto/object_key.hpp"

#include <cstring>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "crypto/be.hpp"
#include "crypto/sha256.hpp"

namespace haul::crypto {

namespace {

// Writes BE32(|field|) || field at out[at] and moves `at` past it. The field
// must be 1..max bytes; out is already sized for it.
void put_field(std::vector<uint8_t>& out, size_t& at, const std::string& field, size_t max, const char* what) {
  if (field.empty() || field.size() > max) {
    throw Error(ErrorKind::internal, std::string("object identity: ") + what + " must be 1.." + std::to_string(max) +
                                         " bytes, got " + std::to_string(field.size()));
  }
  detail::store_be32(&out[at], static_cast<uint32_t>(field.size()));
  std::memcpy(&out[at + 4], field.data(), field.size());
  at += 4 + field.size();
}

}  // namespace

std::vector<uint8_t> object_key_info(const Header& header, const ObjectIdentity& identity) {
  std::string_view label;
  switch (header.version) {
    case kFormatVersion1: label = kObjectKeyInfoV1; break;
    case kFormatVersion2: label = kObjectKeyInfoV2; break;
    case kFormatVersion3: label = kObjectKeyInfoV3; break;
    default: throw Error(ErrorKind::internal, "no key derivation for format version " + std::to_string(header.version));
  }
  const bool v1 = header.version == kFormatVersion1;
  const size_t size = label.size() + 4 + (v1 ? 0 : 4 + identity.store.size() + 4 + identity.key.size());
  std::vector<uint8_t> info(size);
  std::memcpy(info.data(), label.data(), label.size());
  detail::store_be32(&info[label.size()], header.key_id);
  size_t at = label.size() + 4;
  if (!v1) {
    put_field(info, at, identity.store, kMaxStoreIdSize, "store id");
    put_field(info, at, identity.key, kMaxIdentityKeySize, "key");
  }
  return info;
}

std::array<uint8_t, 32> derive_object_key(const MasterKey& master, const Header& header,
                                          const ObjectIdentity& identity) {
  std::array<uint8_t, 32> key{};
  hkdf_sha256(master.secret, header.salt, object_key_info(header, identity), key);
  return key;
}

}  // namespace haul::crypto
