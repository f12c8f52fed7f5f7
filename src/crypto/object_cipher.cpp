// ObjectCipher: AES-256-GCM seal/open of single segments and the trailer.
//
// Hot path: the two EVP contexts are created and keyed once per object; each
// seal/open re-initialises only the IV, so no allocation and no key schedule
// happen per segment.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "crypto/be.hpp"
#include "crypto/object_key.hpp"
#include "crypto/stream_format.hpp"

namespace haul::crypto {

namespace {

constexpr size_t kNonceSize = kNoncePrefixSize + 4 + 1;
static_assert(kNonceSize == 12, "AES-GCM's standard 96-bit IV");
constexpr uint32_t kTrailerIndex = 0xFFFFFFFFu;
constexpr uint8_t kFlagMiddle = 0x00;
constexpr uint8_t kFlagLast = 0x01;
constexpr uint8_t kFlagTrailer = 0x02;

// Fetched once: an explicit fetch spares OpenSSL 3 an implicit one per init.
const EVP_CIPHER* aes_256_gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (cipher == nullptr) throw Error(ErrorKind::internal, "OpenSSL has no AES-256-GCM");
  return cipher;
}

using Nonce = std::array<uint8_t, kNonceSize>;

Nonce make_nonce(const Header& h, uint32_t index, uint8_t flag) {
  Nonce n{};
  std::copy(h.nonce_prefix.begin(), h.nonce_prefix.end(), n.begin());
  detail::store_be32(&n[kNoncePrefixSize], index);
  n[kNonceSize - 1] = flag;
  return n;
}

}  // namespace

struct ObjectCipher::Contexts {
  EVP_CIPHER_CTX* seal = nullptr;
  EVP_CIPHER_CTX* open = nullptr;
  ~Contexts() {
    EVP_CIPHER_CTX_free(seal);
    EVP_CIPHER_CTX_free(open);
  }
};

namespace {

// One AES-GCM encryption: out = ciphertext || tag, out.size() == plain.size() + kTagSize.
void gcm_seal(EVP_CIPHER_CTX* ctx, const Nonce& nonce, std::span<const uint8_t> aad, std::span<const uint8_t> plain,
              std::span<uint8_t> out) {
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  if (ok && !plain.empty()) {
    ok = EVP_EncryptUpdate(ctx, out.data(), &len, plain.data(), static_cast<int>(plain.size())) == 1 &&
         static_cast<size_t>(len) == plain.size();
  }
  ok = ok && EVP_EncryptFinal_ex(ctx, out.data() + plain.size(), &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), out.data() + plain.size()) == 1;
  if (!ok) throw Error(ErrorKind::internal, "AES-GCM encryption failed");
}

// One AES-GCM decryption; false when the tag does not verify. out receives
// sealed.size() - kTagSize bytes, unauthenticated until this returns true.
bool gcm_open(EVP_CIPHER_CTX* ctx, const Nonce& nonce, std::span<const uint8_t> aad, std::span<const uint8_t> sealed,
              std::span<uint8_t> out) {
  size_t n = sealed.size() - kTagSize;
  uint8_t tag[kTagSize];
  std::copy_n(sealed.begin() + static_cast<ptrdiff_t>(n), kTagSize, tag);
  int len = 0;
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    throw Error(ErrorKind::internal, "AES-GCM decryption setup failed");
  }
  if (n > 0 && (EVP_DecryptUpdate(ctx, out.data(), &len, sealed.data(), static_cast<int>(n)) != 1 ||
                static_cast<size_t>(len) != n)) {
    return false;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag) != 1) return false;
  return EVP_DecryptFinal_ex(ctx, out.data() + n, &len) == 1;
}

}  // namespace

ObjectCipher::ObjectCipher(const Keyring& keys, const Header& header, const ObjectIdentity& identity)
    : header_(header), header_bytes_(encode_header(header)), contexts_(std::make_unique<Contexts>()) {
  // Re-decoding checks version and segment size the same way a stored header is checked.
  decode_header(header_bytes_);
  const MasterKey* master = keys.find(header.key_id);
  if (master == nullptr) {
    throw Error(ErrorKind::integrity,
                "object sealed under key id " + std::to_string(header.key_id) + ", which is not in the key file");
  }
  auto key = derive_object_key(*master, header, identity);
  contexts_->seal = EVP_CIPHER_CTX_new();
  contexts_->open = EVP_CIPHER_CTX_new();
  bool ok = contexts_->seal != nullptr && contexts_->open != nullptr &&
            EVP_EncryptInit_ex(contexts_->seal, aes_256_gcm(), nullptr, key.data(), nullptr) == 1 &&
            EVP_DecryptInit_ex(contexts_->open, aes_256_gcm(), nullptr, key.data(), nullptr) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) throw Error(ErrorKind::internal, "AES-GCM key setup failed");
}

ObjectCipher::~ObjectCipher() = default;

void ObjectCipher::seal_segment(uint64_t index, bool last, std::span<const uint8_t> plain,
                                std::span<uint8_t> out) const {
  if (index > kMaxSegmentIndex) throw Error(ErrorKind::payload_too_large, "object has too many segments");
  if (plain.size() > header_.segment_size || out.size() != plain.size() + kTagSize) {
    throw Error(ErrorKind::internal, "seal_segment: bad buffer sizes");
  }
  auto nonce = make_nonce(header_, static_cast<uint32_t>(index), last ? kFlagLast : kFlagMiddle);
  gcm_seal(contexts_->seal, nonce, header_bytes_, plain, out);
}

bool ObjectCipher::open_segment(uint64_t index, bool last, std::span<const uint8_t> sealed,
                                std::span<uint8_t> out) const {
  if (index > kMaxSegmentIndex || sealed.size() < kTagSize || sealed.size() - kTagSize > header_.segment_size ||
      out.size() != sealed.size() - kTagSize) {
    return false;
  }
  auto nonce = make_nonce(header_, static_cast<uint32_t>(index), last ? kFlagLast : kFlagMiddle);
  return gcm_open(contexts_->open, nonce, header_bytes_, sealed, out);
}

namespace {

// Format 3's trailer plaintext: BE64(size) || BE32(etag parts) || flags ||
// sha256 || md5, each digest all zero when its flag is clear.
constexpr size_t kEtagPartsAt = 8;
constexpr size_t kFlagsAt = 12;
constexpr size_t kSha256At = 13;
constexpr size_t kMd5At = kSha256At + 32;
static_assert(kMd5At + 16 == kTrailerPlainSizeV3);
constexpr uint8_t kHasSha256 = 0x01;
constexpr uint8_t kHasMd5 = 0x02;

}  // namespace

std::vector<uint8_t> encode_trailer(const Header& h, const ObjectCipher::TrailerContents& c) {
  if (c.etag_parts != 0 && !c.md5) throw Error(ErrorKind::internal, "trailer: ETag parts without an MD5");
  if (h.version != kFormatVersion3) {
    if (!c.sha256 || c.md5 || c.etag_parts != 0) {
      throw Error(ErrorKind::internal,
                  "a format " + std::to_string(h.version) + " trailer carries a SHA-256 and nothing else");
    }
    std::vector<uint8_t> plain(kTrailerPlainSizeV2);
    detail::store_be64(plain.data(), c.plain_size);
    std::copy(c.sha256->begin(), c.sha256->end(), plain.begin() + 8);
    return plain;
  }
  std::vector<uint8_t> plain(kTrailerPlainSizeV3);
  detail::store_be64(plain.data(), c.plain_size);
  detail::store_be32(&plain[kEtagPartsAt], c.etag_parts);
  plain[kFlagsAt] = static_cast<uint8_t>((c.sha256 ? kHasSha256 : 0) | (c.md5 ? kHasMd5 : 0));
  if (c.sha256) std::copy(c.sha256->begin(), c.sha256->end(), plain.begin() + kSha256At);
  if (c.md5) std::copy(c.md5->begin(), c.md5->end(), plain.begin() + kMd5At);
  return plain;
}

std::optional<ObjectCipher::TrailerContents> decode_trailer(const Header& h, std::span<const uint8_t> plain) {
  if (plain.size() != sealed_trailer_size(h.version) - kTagSize) return std::nullopt;
  ObjectCipher::TrailerContents c;
  c.plain_size = detail::load_be64(plain.data());
  if (h.version != kFormatVersion3) {
    c.sha256.emplace();
    std::copy_n(plain.begin() + 8, 32, c.sha256->begin());
    return c;
  }
  c.etag_parts = detail::load_be32(&plain[kEtagPartsAt]);
  const uint8_t flags = plain[kFlagsAt];
  if ((flags & ~(kHasSha256 | kHasMd5)) != 0) return std::nullopt;
  auto zero = [](std::span<const uint8_t> b) {
    return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
  };
  auto sha = plain.subspan(kSha256At, 32);
  auto md5 = plain.subspan(kMd5At, 16);
  if ((flags & kHasSha256) != 0) {
    c.sha256.emplace();
    std::copy(sha.begin(), sha.end(), c.sha256->begin());
  } else if (!zero(sha)) {
    return std::nullopt;
  }
  if ((flags & kHasMd5) != 0) {
    c.md5.emplace();
    std::copy(md5.begin(), md5.end(), c.md5->begin());
  } else if (!zero(md5) || c.etag_parts != 0) {
    return std::nullopt;
  }
  return c;
}

std::vector<uint8_t> ObjectCipher::seal_trailer(const TrailerContents& contents) const {
  const auto plain = encode_trailer(header_, contents);
  std::vector<uint8_t> out(plain.size() + kTagSize);
  gcm_seal(contexts_->seal, make_nonce(header_, kTrailerIndex, kFlagTrailer), header_bytes_, plain, out);
  return out;
}

std::optional<ObjectCipher::TrailerContents> ObjectCipher::open_trailer(std::span<const uint8_t> sealed) const {
  if (sealed.size() != sealed_trailer_size(header_.version)) return std::nullopt;
  std::vector<uint8_t> plain(sealed.size() - kTagSize);
  if (!gcm_open(contexts_->open, make_nonce(header_, kTrailerIndex, kFlagTrailer), header_bytes_, sealed, plain)) {
    return std::nullopt;
  }
  return decode_trailer(header_, plain);
}

}  // namespace haul::crypto
