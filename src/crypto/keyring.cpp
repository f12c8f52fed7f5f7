#include "crypto/keyring.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>

#include "core/error.hpp"
#include "core/hex.hpp"

namespace haul::crypto {

Keyring Keyring::parse(std::string_view text) {
  Keyring ring;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](const char* why) {
      return Error(ErrorKind::config, "key file line " + std::to_string(line_no) + ": " + why);
    };
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) throw bad("expected ID:HEX");
    MasterKey key;
    auto id_text = line.substr(0, colon);
    auto [ptr, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), key.id);
    if (ec != std::errc() || ptr != id_text.data() + id_text.size()) throw bad("key id is not a number");
    auto secret = from_hex(line.substr(colon + 1));
    if (!secret || secret->size() != kMasterKeySize) throw bad("key must be 64 hex digits (32 bytes)");
    std::copy(secret->begin(), secret->end(), key.secret.begin());
    for (const auto& k : ring.keys_) {
      if (k.id == key.id) throw bad("duplicate key id");
    }
    ring.keys_.push_back(key);
  }
  if (ring.keys_.empty()) throw Error(ErrorKind::config, "key file holds no key");
  std::sort(ring.keys_.begin(), ring.keys_.end(), [](const MasterKey& a, const MasterKey& b) { return a.id < b.id; });
  return ring;
}

std::string Keyring::generate_line(uint32_t id) {
  std::array<uint8_t, kMasterKeySize> secret{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    throw Error(ErrorKind::internal, "the system random generator failed");
  }
  return std::to_string(id) + ":" + to_hex(secret) + "\n";
}

const MasterKey& Keyring::newest() const {
  return keys_.back();
}

const MasterKey* Keyring::find(uint32_t id) const {
  for (const auto& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

}  // namespace haul::crypto
