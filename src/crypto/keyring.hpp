#pragma once
// Master keys with ids, as kept in a key file. The newest key (highest id)
// seals new objects; every key in the ring can open objects sealed under it,
// so rotating means appending a key and restarting the gateway.
//
// Key file format (docs/format.md): one key a line, "ID:HEX64", '#' comments
// and blank lines ignored. ID is a decimal u32, HEX64 is 32 bytes of hex.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace haul::crypto {

inline constexpr size_t kMasterKeySize = 32;

struct MasterKey {
  uint32_t id = 0;
  std::array<uint8_t, kMasterKeySize> secret{};
};

class Keyring {
 public:
  // Throws Error(config) naming the offending line; rejects duplicate ids and
  // an empty ring.
  static Keyring parse(std::string_view file_text);
  // One new key line "ID:HEX\n" from the system CSPRNG.
  static std::string generate_line(uint32_t id);

  const MasterKey& newest() const;           // the key that seals new objects
  const MasterKey* find(uint32_t id) const;  // nullptr when absent
  const std::vector<MasterKey>& keys() const { return keys_; }

 private:
  std::vector<MasterKey> keys_;  // sorted by id
};

}  // namespace haul::crypto
