// libFuzzer target for upload ids (upload_token.hpp). Input: one selector
// byte, then either
//   even: an upload id as a client sends it (the framing, base64url, key id
//         and tag checks: nothing may escape but a refusal), or
//   odd:  a payload sealed here under the fuzz key, so the JSON decoder
//         behind the tag check is reached too.
// Whatever opens must survive a round trip: sealed again, it opens to the
// same state. Seeds (tokens under the key below, payloads) are in
// tests/fuzz/corpus/upload_token/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/keyring.hpp"
#include "gateway/upload_token.hpp"

using namespace haul;
using namespace haul::gateway;

namespace {

bool same(const UploadState& a, const UploadState& b) {
  return a.store == b.store && a.key == b.key && a.size == b.size && a.part_size == b.part_size &&
         a.header == b.header && a.store_upload_id == b.store_upload_id && a.created_unix == b.created_unix;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const crypto::Keyring ring =
      crypto::Keyring::parse("1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  OpenedUpload opened;
  if ((data[0] & 1) == 0) {
    opened = open_upload_token(ring, rest);
  } else {
    opened = open_upload_token(ring, detail::seal_token_payload(ring.newest(), rest));
    // The tag is ours: only the payload can be refused (or one too long to read).
    if (rest.size() < 32 * 1024 && opened.refusal != TokenRefusal::none && opened.refusal != TokenRefusal::bad_payload)
      __builtin_trap();
  }
  if (!opened) return 0;
  if (opened.state.part_size == 0 || opened.state.part_count() == 0) __builtin_trap();
  const OpenedUpload again = open_upload_token(ring, seal_upload_token(ring, opened.state));
  if (!again || !same(again.state, opened.state)) __builtin_trap();
  return 0;
}
