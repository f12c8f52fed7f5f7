#pragma once
// Upload ids of the parts API are self-describing tokens: everything a
// gateway needs to accept a part (object key, sizes, format header, the
// store's own upload id) travels in the id, authenticated with an HMAC under
// a key derived from a master key. Any gateway with the same key file can
// take any part of any upload: nothing lives in one gateway's memory.
//
//   token = "v2." KID "." base64url(json) "." base64url(tag)
//   tag   = HMAC-SHA256(upload_id_key(KID), everything before the last ".")
//   upload_id_key(KID) = HKDF-SHA256(ikm = secret of master key KID, no salt,
//                                    info = "haul-v2 upload id" || BE32(KID))
//
// KID is the master key's id in decimal, outside the JSON, so the tag is
// checked (in constant time) before any of the JSON is parsed: a forged
// token never reaches the JSON parser. Sans-IO (haul_gateway_parse, fuzzed
// by upload_token_fuzzer.cpp).

#include <cstdint>
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

  // Without overflow for any size: a client's size near 2^64 must count as
  // the huge number of parts it is, never wrap to a small one.
  uint64_t part_count() const;
  uint64_t part_plain_size(uint32_t part_number) const;  // 1-based
};

// Why a token was refused, in the order open_upload_token checks.
enum class TokenRefusal {
  none,         // opened
  outdated,     // a "v1." id of a gateway before this format: they expire anyway
  malformed,    // not "v2.KID.PAYLOAD.TAG" with base64url and a 32-byte tag
  unknown_key,  // sealed with a master key id the ring does not hold
  forged,       // the tag does not match
  bad_payload,  // authentic, but its JSON is not an upload (a bug or an old build)
};

struct OpenedUpload {
  TokenRefusal refusal = TokenRefusal::malformed;
  UploadState state;  // meaningful when refusal == none
  explicit operator bool() const { return refusal == TokenRefusal::none; }
};

// Seals state under the newest key of the ring.
std::string seal_upload_token(const crypto::Keyring& keys, const UploadState& state);
// Checks framing, key id and tag, then decodes the JSON.
OpenedUpload open_upload_token(const crypto::Keyring& keys, std::string_view token);
// A client-facing sentence for a refusal.
std::string_view refusal_message(TokenRefusal refusal);

namespace detail {
// Seals any payload text as a token under key (the fuzzer reaches the JSON
// decoder through it; seal_upload_token passes its JSON).
std::string seal_token_payload(const crypto::MasterKey& key, std::string_view payload);
}  // namespace detail

}  // namespace haul::gateway
