#include "crypto/object_key.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>

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

}  // namespace

std::array<uint8_t, 32> derive_object_key(const MasterKey& master, const Header& header) {
  constexpr size_t kLabel = sizeof(kObjectKeyInfo) - 1;
  uint8_t info[kLabel + 4];
  std::memcpy(info, kObjectKeyInfo, kLabel);
  detail::store_be32(info + kLabel, header.key_id);

  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(hkdf_algorithm());
  if (ctx == nullptr) throw Error(ErrorKind::internal, "EVP_KDF_CTX_new failed");
  char digest[] = "SHA256";
  auto secret = master.secret;  // OSSL_PARAM wants non-const pointers
  auto salt = header.salt;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret.data(), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info)),
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
