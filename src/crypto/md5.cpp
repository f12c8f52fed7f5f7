#include "crypto/md5.hpp"

#include <openssl/evp.h>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/openssl_failure.hpp"

namespace haul::crypto {

namespace {

// Fetched once for the process: an explicit fetch spares OpenSSL 3 a lookup
// per init (and MD5() itself is deprecated in OpenSSL 3).
const EVP_MD* md5_algorithm() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  if (md == nullptr) openssl_failed("fetching MD5");
  return md;
}

}  // namespace

struct Md5::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  Ctx() {
    if (md == nullptr) openssl_failed("MD5 context");
    restart();
  }
  ~Ctx() { EVP_MD_CTX_free(md); }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
  void restart() {
    if (EVP_DigestInit_ex(md, md5_algorithm(), nullptr) != 1) openssl_failed("MD5 init");
  }
};

Md5::Md5() : ctx_(std::make_unique<Ctx>()) {}
Md5::~Md5() = default;
Md5::Md5(Md5&&) noexcept = default;
Md5& Md5::operator=(Md5&&) noexcept = default;

void Md5::update(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size()) != 1) openssl_failed("MD5 update");
}

Md5Digest Md5::finish() {
  Md5Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out.data(), &len) != 1 || len != out.size()) openssl_failed("MD5 final");
  ctx_->restart();
  return out;
}

Md5Digest md5(std::span<const uint8_t> bytes) {
  Md5Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, md5_algorithm(), nullptr) != 1 || len != out.size()) {
    openssl_failed("MD5");
  }
  return out;
}

std::string md5_hex(std::span<const uint8_t> bytes) {
  return to_hex(md5(bytes));
}

}  // namespace haul::crypto
