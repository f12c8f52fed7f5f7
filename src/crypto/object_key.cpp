#include "crypto/object_key.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "crypto/be.hpp"

namespace haul::crypto {

namespace {

// Fetched once for the process: EVP_KDF_fetch takes a lock and a lookup.
EVP_KDF* hkdf_algorithm() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  if (kdf == nullptr) throw Error(ErrorKind::internal, "OpenSSL has no HKDF");
  return kdf;
}

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
  if (header.version != kFormatVersion1 && header.version != kFormatVersion2) {
    throw Error(ErrorKind::internal, "no key derivation for format version " + std::to_string(header.version));
  }
  const bool v1 = header.version == kFormatVersion1;
  const std::string_view label = v1 ? kObjectKeyInfoV1 : kObjectKeyInfoV2;
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
  auto info = object_key_info(header, identity);

  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(hkdf_algorithm());
  if (ctx == nullptr) throw Error(ErrorKind::internal, "EVP_KDF_CTX_new failed");
  char digest[] = "SHA256";
  auto secret = master.secret;  // OSSL_PARAM wants non-const pointers
  auto salt = header.salt;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret.data(), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  std::array<uint8_t, 32> key{};
  int ok = EVP_KDF_derive(ctx, key.data(), key.size(), params);
  EVP_KDF_CTX_free(ctx);
  OPENSSL_cleanse(secret.data(), secret.size());
  if (ok != 1) throw Error(ErrorKind::internal, "HKDF derivation failed");
  return key;
}

}  // namespace haul::crypto
