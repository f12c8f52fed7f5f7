#include "gateway/upload_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/hex.hpp"
#include "crypto/sha256.hpp"

namespace haul::gateway {

namespace {

constexpr std::string_view kPrefix = "v2.";
constexpr std::string_view kKeyInfo = "haul-v2 upload id";  // then BE32(key id)
constexpr size_t kMaxPayloadText = 64 * 1024;

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
  if (text.size() > kMaxPayloadText) return std::nullopt;
  std::string std_text(text);
  for (char& c : std_text) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;
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

// The key id as the token spells it: decimal, no sign, no leading zero.
std::optional<uint32_t> parse_key_id(std::string_view text) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  uint32_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// HMAC-SHA256 of the signed text under HKDF(master secret, info = label ||
// BE32(id)): a key of its own, apart from every object key, per master key.
crypto::Digest tag_of(const crypto::MasterKey& key, std::string_view signed_text) {
  std::array<uint8_t, kKeyInfo.size() + 4> info{};
  std::memcpy(info.data(), kKeyInfo.data(), kKeyInfo.size());
  for (size_t i = 0; i < 4; ++i) info[kKeyInfo.size() + i] = static_cast<uint8_t>(key.id >> (24 - 8 * i));
  std::array<uint8_t, 32> mac_key{};
  crypto::hkdf_sha256(key.secret, {}, info, mac_key);
  const crypto::Digest tag = crypto::hmac_sha256(mac_key, crypto::as_bytes(signed_text));
  OPENSSL_cleanse(mac_key.data(), mac_key.size());
  return tag;
}

// The authenticated JSON; nullopt when it is not an upload.
std::optional<UploadState> decode_state(const std::string& json_text) {
  try {
    const auto j = nlohmann::json::parse(json_text);
    if (!j.is_object()) return std::nullopt;
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

}  // namespace

uint64_t UploadState::part_count() const {
  if (size == 0) return 1;
  return size / part_size + (size % part_size != 0 ? 1 : 0);
}

uint64_t UploadState::part_plain_size(uint32_t part_number) const {
  uint64_t start = uint64_t{part_number - 1} * part_size;
  if (start >= size) return 0;
  return std::min(part_size, size - start);
}

namespace detail {

std::string seal_token_payload(const crypto::MasterKey& key, std::string_view payload) {
  std::string token = std::string(kPrefix) + std::to_string(key.id) + "." + base64url(payload);
  const crypto::Digest tag = tag_of(key, token);
  return token + "." + base64url(std::string_view(reinterpret_cast<const char*>(tag.data()), tag.size()));
}

}  // namespace detail

std::string seal_upload_token(const crypto::Keyring& keys, const UploadState& s) {
  nlohmann::json j = {{"store", s.store},
                      {"key", s.key},
                      {"size", s.size},
                      {"part_size", s.part_size},
                      {"header", to_hex(s.header)},
                      {"sid", s.store_upload_id},
                      {"created", s.created_unix}};
  return detail::seal_token_payload(keys.newest(), j.dump());
}

OpenedUpload open_upload_token(const crypto::Keyring& keys, std::string_view token) {
  OpenedUpload opened;
  if (token.starts_with("v1.")) opened.refusal = TokenRefusal::outdated;
  if (!token.starts_with(kPrefix)) return opened;
  const size_t id_end = token.find('.', kPrefix.size());
  const size_t tag_start = token.rfind('.');
  if (id_end == std::string_view::npos || tag_start <= id_end) return opened;
  const auto key_id = parse_key_id(token.substr(kPrefix.size(), id_end - kPrefix.size()));
  const std::string_view signed_text = token.substr(0, tag_start);
  const std::string_view payload = signed_text.substr(id_end + 1);
  const auto tag = unbase64url(token.substr(tag_start + 1));
  if (!key_id || !tag || tag->size() != crypto::kSha256Size || payload.size() > kMaxPayloadText) return opened;
  const crypto::MasterKey* key = keys.find(*key_id);
  if (key == nullptr) {
    opened.refusal = TokenRefusal::unknown_key;
    return opened;
  }
  const crypto::Digest expected = tag_of(*key, signed_text);
  if (CRYPTO_memcmp(expected.data(), tag->data(), expected.size()) != 0) {
    opened.refusal = TokenRefusal::forged;
    return opened;
  }
  // Authentic from here on: only now is the payload decoded and parsed.
  const auto json_text = unbase64url(payload);
  auto state = json_text ? decode_state(*json_text) : std::nullopt;
  if (!state) {
    opened.refusal = TokenRefusal::bad_payload;
    return opened;
  }
  opened.refusal = TokenRefusal::none;
  opened.state = std::move(*state);
  return opened;
}

std::string_view refusal_message(TokenRefusal refusal) {
  switch (refusal) {
    case TokenRefusal::none: return "upload id accepted";
    case TokenRefusal::outdated:
      return "upload id of an older gateway version (no longer accepted): start the upload again";
    case TokenRefusal::malformed: return "malformed upload id";
    case TokenRefusal::unknown_key: return "upload id sealed under a master key this gateway does not hold";
    case TokenRefusal::forged: return "forged or damaged upload id";
    case TokenRefusal::bad_payload: return "upload id holds no valid upload";
  }
  return "unknown upload id";
}

}  // namespace haul::gateway
