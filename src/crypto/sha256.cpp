#include "crypto/sha256.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <vector>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/openssl_failure.hpp"

namespace haul::crypto {

namespace {

// Fetched once for the process: EVP_KDF_fetch takes a lock and a lookup.
EVP_KDF* hkdf_algorithm() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  if (kdf == nullptr) openssl_failed("fetching HKDF");
  return kdf;
}

}  // namespace

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  Ctx() {
    if (md == nullptr) openssl_failed("SHA-256 context");
    restart();
  }
  ~Ctx() { EVP_MD_CTX_free(md); }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
  void restart() {
    if (EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) openssl_failed("SHA-256 init");
  }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const uint8_t> bytes) {
  update(bytes.data(), bytes.size());
}

void Sha256::update(const void* data, size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(ctx_->md, data, size) != 1) openssl_failed("SHA-256 update");
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out.data(), &len) != 1 || len != out.size()) openssl_failed("SHA-256 final");
  ctx_->restart();
  return out;
}

std::string Sha256::hex_digest() {
  return to_hex(finish());
}

Digest sha256(std::span<const uint8_t> bytes) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size()) {
    openssl_failed("SHA-256");
  }
  return out;
}

std::string sha256_hex(std::span<const uint8_t> bytes) {
  return to_hex(sha256(bytes));
}
std::string sha256_hex(std::string_view text) {
  return sha256_hex(as_bytes(text));
}

Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) ==
          nullptr ||
      len != out.size()) {
    openssl_failed("HMAC-SHA256");
  }
  return out;
}

void hkdf_sha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt, std::span<const uint8_t> info,
                 std::span<uint8_t> out) {
  // OSSL_PARAM wants non-const pointers; OpenSSL copies the values.
  std::vector<uint8_t> params_data(ikm.begin(), ikm.end());
  params_data.insert(params_data.end(), salt.begin(), salt.end());
  params_data.insert(params_data.end(), info.begin(), info.end());
  uint8_t* at = params_data.data();
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, at, ikm.size());
  // No salt parameter for an empty salt: HKDF-Extract then keys its HMAC with
  // zeros, which RFC 5869 prescribes.
  if (!salt.empty()) params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, at + ikm.size(), salt.size());
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, at + ikm.size() + salt.size(), info.size());
  params[n] = OSSL_PARAM_construct_end();

  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(hkdf_algorithm());
  if (ctx == nullptr) openssl_failed("HKDF context");
  const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  OPENSSL_cleanse(params_data.data(), params_data.size());
  if (ok != 1) openssl_failed("HKDF derivation");
}

}  // namespace haul::crypto
