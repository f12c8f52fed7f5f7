// Upload ids (upload_token.hpp): the exact token of a fixed state (computed
// independently with Python's hmac/hashlib), refusal reasons in the order
// they are checked, and that a forged token never reaches the JSON decoder.
#include <gtest/gtest.h>

#include "crypto/keyring.hpp"
#include "gateway/upload_token.hpp"

using namespace haul;
using namespace haul::gateway;

namespace {

const crypto::Keyring kRing7 =
    crypto::Keyring::parse("7:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");

UploadState sample_state() {
  UploadState s;
  s.store = "default";
  s.key = "big/file.bin";
  s.size = 10'000'000;
  s.part_size = 4 * 1024 * 1024;
  s.header = {1, 2, 3, 4};
  s.store_upload_id = "abc/def";
  s.created_unix = 1700000000;
  return s;
}

// python3: key = HKDF-SHA256(secret, salt=none, info=b"haul-v2 upload id" + (7).to_bytes(4, "big"));
// tag = HMAC-SHA256(key, "v2.7." + b64url(json.dumps(state, sort_keys=True, separators=(",", ":"))))
constexpr std::string_view kGoldenToken =
    "v2.7.eyJjcmVhdGVkIjoxNzAwMDAwMDAwLCJoZWFkZXIiOiIwMTAyMDMwNCIsImtleSI6ImJpZy9maWxlLmJpbiIsInBhcnRfc2l6ZSI6NDE5NDMw"
    "NCwic2lkIjoiYWJjL2RlZiIsInNpemUiOjEwMDAwMDAwLCJzdG9yZSI6ImRlZmF1bHQifQ."
    "kQRizv15IksBP481ldKQirdVOlgpjNtZ82tBIvJTMO4";

TEST(UploadToken, SealsTheDocumentedFormat) {
  EXPECT_EQ(seal_upload_token(kRing7, sample_state()), kGoldenToken);
  auto opened = open_upload_token(kRing7, kGoldenToken);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened.state.key, "big/file.bin");
  EXPECT_EQ(opened.state.store_upload_id, "abc/def");
}

TEST(UploadToken, RoundTripAndForgery) {
  auto keys = crypto::Keyring::parse(crypto::Keyring::generate_line(1) + crypto::Keyring::generate_line(2));
  const UploadState s = sample_state();
  auto token = seal_upload_token(keys, s);
  EXPECT_TRUE(token.starts_with("v2.2."));  // the newest key seals
  auto back = open_upload_token(keys, token);
  ASSERT_TRUE(back);
  EXPECT_EQ(back.refusal, TokenRefusal::none);
  EXPECT_EQ(back.state.store, s.store);
  EXPECT_EQ(back.state.key, s.key);
  EXPECT_EQ(back.state.size, s.size);
  EXPECT_EQ(back.state.part_size, s.part_size);
  EXPECT_EQ(back.state.header, s.header);
  EXPECT_EQ(back.state.store_upload_id, s.store_upload_id);
  EXPECT_EQ(back.state.created_unix, s.created_unix);
  EXPECT_EQ(back.state.part_count(), 3u);
  EXPECT_EQ(back.state.part_plain_size(3), 10'000'000u - 2 * 4 * 1024 * 1024);
  // Any changed character of the token is refused.
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(open_upload_token(keys, bad)) << i;
  }
  // Another ring with a key of the same id does not accept it.
  auto other = crypto::Keyring::parse(crypto::Keyring::generate_line(2));
  EXPECT_EQ(open_upload_token(other, token).refusal, TokenRefusal::forged);
}

TEST(UploadToken, RefusalReasons) {
  const std::string token(kGoldenToken);
  const size_t last_dot = token.rfind('.');
  EXPECT_EQ(open_upload_token(kRing7, "").refusal, TokenRefusal::malformed);
  EXPECT_EQ(open_upload_token(kRing7, "v2.garbage").refusal, TokenRefusal::malformed);
  EXPECT_EQ(open_upload_token(kRing7, "v2.7.abc").refusal, TokenRefusal::malformed);                 // no tag
  EXPECT_EQ(open_upload_token(kRing7, "v2.07" + token.substr(4)).refusal, TokenRefusal::malformed);  // 07
  EXPECT_EQ(open_upload_token(kRing7, token.substr(0, last_dot + 1) + "AAAA").refusal,
            TokenRefusal::malformed);  // a 3-byte tag
  EXPECT_EQ(open_upload_token(kRing7, "v2.8" + token.substr(4)).refusal, TokenRefusal::unknown_key);
  EXPECT_EQ(open_upload_token(kRing7, "v2.4294967296" + token.substr(4)).refusal, TokenRefusal::malformed);
  // An id of the gateway before this format (v1: key id inside the JSON).
  EXPECT_EQ(open_upload_token(kRing7, "v1.eyJraWQiOjd9.AAAA").refusal, TokenRefusal::outdated);
  // Rotation: a ring that gained a newer key still opens what key 7 sealed.
  auto rotated = crypto::Keyring::parse("7:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n" +
                                        crypto::Keyring::generate_line(8));
  EXPECT_TRUE(open_upload_token(rotated, kGoldenToken));
}

TEST(UploadToken, TheTagIsCheckedBeforeTheJson) {
  const crypto::MasterKey& key = kRing7.newest();
  // Authentic, but not an upload: the decoder sees it and refuses it.
  for (const char* payload : {"", "not json", "[1,2]", "{}", R"({"store":1})", "{\"key\":\"\xff\"}"}) {
    const std::string token = detail::seal_token_payload(key, payload);
    EXPECT_EQ(open_upload_token(kRing7, token).refusal, TokenRefusal::bad_payload) << payload;
    // The same token with one tag bit flipped is refused as forged, before
    // its payload is looked at.
    std::string forged = token;
    forged.back() = forged.back() == 'A' ? 'Q' : 'A';
    EXPECT_EQ(open_upload_token(kRing7, forged).refusal, TokenRefusal::forged) << payload;
  }
  // A zero part size would divide by zero in part_count(): refused too.
  UploadState s = sample_state();
  s.part_size = 0;
  EXPECT_EQ(open_upload_token(kRing7, seal_upload_token(kRing7, s)).refusal, TokenRefusal::bad_payload);
}

TEST(UploadToken, EmptyObjectHasOnePart) {
  UploadState s;
  s.size = 0;
  s.part_size = 65536;
  EXPECT_EQ(s.part_count(), 1u);
  EXPECT_EQ(s.part_plain_size(1), 0u);
}

TEST(UploadToken, PartCountNeverWraps) {
  UploadState s;
  s.size = UINT64_MAX;  // a client may ask for any size
  s.part_size = 65536;
  EXPECT_EQ(s.part_count(), uint64_t{1} << 48);
  s.size = uint64_t{1} << 32;  // 2^32 parts: no truncation to 32 bits
  s.part_size = 1;
  EXPECT_EQ(s.part_count(), uint64_t{1} << 32);
}

}  // namespace
