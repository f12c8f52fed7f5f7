#include "gateway/upload_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "core/hex.hpp"

namespace haul::gateway {

namespace {

std::string base64url(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> unbase64url(std::string_view text) {
  if (text.size() > 64 * 1024) return std::nullopt;
  std::string std_text(text);
  for (char& c : std_text) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return std::nullopt;
  }
  size_t pad = (4 - std_text.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  std_text.append(pad, '=');
  std::string out(std_text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(std_text.data()), static_cast<int>(std_text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  // Only the canonical spelling: the last character's unused low bits
  // would otherwise let several strings name the same bytes.
  if (base64url(out) != text) return std::nullopt;
  return out;
}

// HMAC-SHA256 keyed by SHA256("haul-v1 upload id" || master secret): a
// separate key from the object keys, bound to one master key id.
std::string mac(const crypto::MasterKey& key, std::string_view payload) {
  unsigned char derived[32];
  unsigned int derived_len = 0;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  static constexpr std::string_view label = "haul-v1 upload id";
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  EVP_DigestUpdate(md, label.data(), label.size());
  EVP_DigestUpdate(md, key.secret.data(), key.secret.size());
  EVP_DigestFinal_ex(md, derived, &derived_len);
  EVP_MD_CTX_free(md);
  unsigned char out[32];
  unsigned int out_len = 0;
  HMAC(EVP_sha256(), derived, static_cast<int>(derived_len), reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), out, &out_len);
  return std::string(reinterpret_cast<char*>(out), out_len);
}

}  // namespace

uint32_t UploadState::part_count() const {
  if (size == 0) return 1;
  return static_cast<uint32_t>((size + part_size - 1) / part_size);
}

uint64_t UploadState::part_plain_size(uint32_t part_number) const {
  uint64_t start = uint64_t{part_number - 1} * part_size;
  if (start >= size) return 0;
  return std::min(part_size, size - start);
}

std::string seal_upload_token(const crypto::Keyring& keys, const UploadState& s) {
  const auto& key = keys.newest();
  nlohmann::json j = {{"store", s.store}, {"key", s.key}, {"size", s.size}, {"part_size", s.part_size},
                      {"header", to_hex(s.header)}, {"sid", s.store_upload_id}, {"kid", key.id},
                      {"created", s.created_unix}};
  std::string payload = base64url(j.dump());
  return "v1." + payload + "." + base64url(mac(key, payload));
}

std::optional<UploadState> open_upload_token(const crypto::Keyring& keys, std::string_view token) {
  if (!token.starts_with("v1.")) return std::nullopt;
  token.remove_prefix(3);
  size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view payload = token.substr(0, dot);
  auto tag = unbase64url(token.substr(dot + 1));
  auto json_text = unbase64url(payload);
  if (!tag || !json_text || tag->size() != 32) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(*json_text);
    const auto* key = keys.find(j.at("kid").get<uint32_t>());
    if (!key) return std::nullopt;
    std::string expected = mac(*key, payload);
    if (CRYPTO_memcmp(expected.data(), tag->data(), 32) != 0) return std::nullopt;
    UploadState s;
    s.store = j.at("store").get<std::string>();
    s.key = j.at("key").get<std::string>();
    s.size = j.at("size").get<uint64_t>();
    s.part_size = j.at("part_size").get<uint64_t>();
    auto header = from_hex(j.at("header").get<std::string>());
    if (!header || s.part_size == 0) return std::nullopt;
    s.header = std::move(*header);
    s.store_upload_id = j.at("sid").get<std::string>();
    s.created_unix = j.at("created").get<int64_t>();
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace haul::gateway
