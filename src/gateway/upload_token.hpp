#pragma once
// Upload ids of the parts API are self-describing tokens: everything a
// gateway needs to accept a part (object key, sizes, format header, the
// store's own upload id) travels in the id, authenticated with an HMAC under
// a key derived from a master key. Any gateway with the same key file can
// take any part of any upload: nothing lives in one gateway's memory.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keyring.hpp"

namespace haul::gateway {

struct UploadState {
  std::string store;            // store name the upload belongs to
  std::string key;              // object key
  uint64_t size = 0;            // plaintext bytes of the whole object
  uint64_t part_size = 0;       // plaintext bytes per part (last may be shorter)
  std::vector<uint8_t> header;  // the object's format header
  std::string store_upload_id;  // what Store::begin_upload returned
  int64_t created_unix = 0;

  uint32_t part_count() const;
  uint64_t part_plain_size(uint32_t part_number) const;  // 1-based
};

// "v1." + base64url(json) + "." + base64url(hmac). Uses the newest key.
std::string seal_upload_token(const crypto::Keyring& keys, const UploadState& state);
// nullopt when malformed, forged, or sealed with a key not in the ring.
std::optional<UploadState> open_upload_token(const crypto::Keyring& keys, std::string_view token);

}  // namespace haul::gateway
