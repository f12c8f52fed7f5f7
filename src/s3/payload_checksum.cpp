#include "s3/payload_checksum.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "core/error.hpp"
#include "s3/crc32.hpp"

namespace haul::s3 {

namespace {

// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5, all-ones start and
// final XOR), which current aws-cli and boto3 use by default. Byte at a
// time like Crc32.
constexpr uint64_t kCrc64NvmePolynomial = 0x9A6C9329AC4BC9B5;

std::array<uint64_t, 256> crc64_table() {
  std::array<uint64_t, 256> table{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCrc64NvmePolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

template <typename T>
std::vector<uint8_t> big_endian(T v) {
  std::vector<uint8_t> out(sizeof(T));
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
  return out;
}

}  // namespace

struct PayloadChecksum::State {
  enum class Kind { crc32, crc32c, crc64nvme, sha1, sha256 } kind;
  std::optional<Crc32> crc32;
  uint64_t crc64 = ~0ull;
  std::array<uint64_t, 256> crc64_table{};
  EVP_MD_CTX* md = nullptr;

  explicit State(Kind k) : kind(k) {
    if (k == Kind::crc32) crc32.emplace(kCrc32Polynomial);
    if (k == Kind::crc32c) crc32.emplace(kCrc32cPolynomial);
    if (k == Kind::crc64nvme) crc64_table = s3::crc64_table();
    if (k == Kind::sha1 || k == Kind::sha256) {
      md = EVP_MD_CTX_new();
      if (md == nullptr || EVP_DigestInit_ex(md, k == Kind::sha1 ? EVP_sha1() : EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(md);
        throw Error(ErrorKind::internal, "could not start a digest");
      }
    }
  }
  ~State() { EVP_MD_CTX_free(md); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
};

std::optional<PayloadChecksum> PayloadChecksum::for_name(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  using Kind = State::Kind;
  const std::array<std::pair<std::string_view, Kind>, 5> known = {{{"x-amz-checksum-crc32", Kind::crc32},
                                                                   {"x-amz-checksum-crc32c", Kind::crc32c},
                                                                   {"x-amz-checksum-crc64nvme", Kind::crc64nvme},
                                                                   {"x-amz-checksum-sha1", Kind::sha1},
                                                                   {"x-amz-checksum-sha256", Kind::sha256}}};
  for (const auto& [known_name, kind] : known) {
    if (lower == known_name) return PayloadChecksum(std::move(lower), std::make_unique<State>(kind));
  }
  return std::nullopt;
}

PayloadChecksum::PayloadChecksum(std::string name, std::unique_ptr<State> state)
    : name_(std::move(name)), state_(std::move(state)) {}
PayloadChecksum::PayloadChecksum(PayloadChecksum&&) noexcept = default;
PayloadChecksum& PayloadChecksum::operator=(PayloadChecksum&&) noexcept = default;
PayloadChecksum::~PayloadChecksum() = default;

void PayloadChecksum::update(std::span<const uint8_t> bytes) {
  State& s = *state_;
  if (s.crc32) {
    s.crc32->update(bytes);
  } else if (s.md != nullptr) {
    if (EVP_DigestUpdate(s.md, bytes.data(), bytes.size()) != 1) throw Error(ErrorKind::internal, "digest failed");
  } else {
    for (uint8_t b : bytes) s.crc64 = s.crc64_table[(s.crc64 ^ b) & 0xff] ^ (s.crc64 >> 8);
  }
}

std::string PayloadChecksum::base64() {
  State& s = *state_;
  if (s.crc32) return s3::base64(big_endian(s.crc32->value()));
  if (s.md != nullptr) {
    std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(s.md, digest.data(), &size) != 1) throw Error(ErrorKind::internal, "digest failed");
    return s3::base64(std::span<const uint8_t>(digest.data(), size));
  }
  return s3::base64(big_endian(~s.crc64));
}

std::string PayloadChecksum::algorithm() const {
  std::string out = name_.substr(std::string_view("x-amz-checksum-").size());
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

std::string base64(std::span<const uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace haul::s3
