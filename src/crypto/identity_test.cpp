// Format 2 binds the object's identity (store id, key) into its key; format 1
// does not and still opens (docs/format.md sections 3 and 6).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "core/hex.hpp"
#include "crypto/object_key.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

struct Sealed {
  Header header;
  std::vector<uint8_t> plain;
  std::vector<uint8_t> body;
};

Sealed seal_for(const Keyring& ring, const ObjectIdentity& id, uint8_t version = kFormatVersion2) {
  Sealed s;
  s.header = test::fixed_header(9, test::kSmallSegment);
  s.header.version = version;
  s.plain = test::pattern(3 * test::kSmallSegment + 5, 23);
  ObjectCipher cipher(ring, s.header, id);
  s.body = test::encrypt(cipher, s.plain);
  return s;
}

// Reads the whole object as `id`: true when every segment and the trailer
// authenticate. On failure, nothing may have been emitted: the first segment
// already fails.
bool opens_as(const Keyring& ring, const Sealed& s, const Header& header, const ObjectIdentity& id) {
  ObjectCipher cipher(ring, header, id);
  RangeDecryptor dec(cipher, s.plain.size(), 0, s.plain.size() - 1);
  std::vector<uint8_t> out;
  try {
    dec.update(std::span(s.body).first(dec.cover().body_length), out);
    dec.finish();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::integrity);
    EXPECT_TRUE(out.empty()) << "bytes emitted before the first segment failed";
    EXPECT_FALSE(cipher.open_trailer(std::span(s.body).last(sealed_trailer_size(s.header.version))).has_value());
    return false;
  }
  EXPECT_EQ(out, s.plain);
  EXPECT_TRUE(cipher.open_trailer(std::span(s.body).last(sealed_trailer_size(s.header.version))).has_value());
  return true;
}

std::string hex_of(std::string_view text) {
  return to_hex(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace

TEST(Identity, FormatsTwoAndThreeOpenOnlyUnderTheirOwnIdentity) {
  auto ring = test::test_ring();
  const ObjectIdentity bob{"default", "bob"};
  for (uint8_t version : {kFormatVersion2, kFormatVersion3}) {
    SCOPED_TRACE(int{version});
    Sealed s = seal_for(ring, bob, version);
    EXPECT_TRUE(opens_as(ring, s, s.header, bob));
    for (const ObjectIdentity& other :
         std::vector<ObjectIdentity>{{"default", "alice"},   // another key: a swapped file
                                     {"us", "bob"},          // another store: a file moved between stores
                                     {"default", "bob/"},    // one byte more
                                     {"default", "Bob"},     // case
                                     {"defaul", "tbob"},     // the same bytes split differently
                                     {"bob", "default"}}) {  // fields swapped
      SCOPED_TRACE(other.store + " / " + other.key);
      EXPECT_FALSE(opens_as(ring, s, s.header, other));
    }
  }
}

TEST(Identity, FormatOneIgnoresIdentity) {
  auto ring = test::test_ring();
  Sealed s = seal_for(ring, {"default", "bob"}, kFormatVersion1);
  EXPECT_TRUE(opens_as(ring, s, s.header, {"default", "alice"}));
  EXPECT_TRUE(opens_as(ring, s, s.header, {"anything", "else"}));
  // ...and its key is the format-1 derivation, which names no identity.
  EXPECT_EQ(derive_object_key(ring.newest(), s.header, {"a", "b"}),
            derive_object_key(ring.newest(), s.header, {"c", "d"}));
}

// Relabelling the version byte cannot move an object between formats: the
// header is every segment's AAD and each format derives its own key.
TEST(Identity, VersionByteCannotBeRelabelled) {
  auto ring = test::test_ring();
  const ObjectIdentity id{"default", "bob"};
  Sealed v2 = seal_for(ring, id);
  Header as_v1 = v2.header;
  as_v1.version = kFormatVersion1;
  EXPECT_FALSE(opens_as(ring, v2, as_v1, id));
  Sealed v1 = seal_for(ring, id, kFormatVersion1);
  Header as_v2 = v1.header;
  as_v2.version = kFormatVersion2;
  EXPECT_FALSE(opens_as(ring, v1, as_v2, id));
  // Format 3 has its own key label and header (the AAD): neither way works.
  Sealed v3 = seal_for(ring, id, kFormatVersion3);
  Header v3_as_v2 = v3.header;
  v3_as_v2.version = kFormatVersion2;
  Sealed v3_body_v2_trailer = v3;
  v3_body_v2_trailer.body.resize(v3.body.size() - kTrailerSizeV3 + kTrailerSizeV2);
  EXPECT_FALSE(opens_as(ring, v3_body_v2_trailer, v3_as_v2, id));
  Header v2_as_v3 = v2.header;
  v2_as_v3.version = kFormatVersion3;
  EXPECT_FALSE(opens_as(ring, v2, v2_as_v3, id));
  EXPECT_NE(derive_object_key(ring.newest(), v2.header, id), derive_object_key(ring.newest(), v2_as_v3, id));
}

TEST(Identity, InfoIsLengthPrefixed) {
  Header h = test::fixed_header(0x01020304, test::kSmallSegment);
  auto info = object_key_info(h, {"us", "a/b"});
  EXPECT_EQ(to_hex(info),
            hex_of("haul-v3 object key") + "01020304" + "00000002" + hex_of("us") + "00000003" + hex_of("a/b"));
  EXPECT_NE(object_key_info(h, {"ab", "c"}), object_key_info(h, {"a", "bc"}));
  h.version = kFormatVersion2;
  EXPECT_EQ(to_hex(object_key_info(h, {"us", "a/b"})),
            hex_of("haul-v2 object key") + "01020304" + "00000002" + hex_of("us") + "00000003" + hex_of("a/b"));
  EXPECT_NE(object_key_info(h, {"ab", "c"}), object_key_info(h, {"a", "bc"}));
  h.version = kFormatVersion1;
  EXPECT_EQ(to_hex(object_key_info(h, {"us", "a/b"})), hex_of("haul-v1 object key") + "01020304");
}

TEST(Identity, FieldsOutOfBoundsAreCallerBugs) {
  auto ring = test::test_ring();
  Header h = test::fixed_header(9, test::kSmallSegment);
  auto kind = [&](const ObjectIdentity& id) {
    return haul::testing::error_kind_of([&] { ObjectCipher c(ring, h, id); });
  };
  EXPECT_EQ(kind({"", "k"}), ErrorKind::internal);
  EXPECT_EQ(kind({"s", ""}), ErrorKind::internal);
  EXPECT_EQ(kind({std::string(kMaxStoreIdSize + 1, 's'), "k"}), ErrorKind::internal);
  EXPECT_EQ(kind({"s", std::string(kMaxIdentityKeySize + 1, 'k')}), ErrorKind::internal);
  // The largest fields are fine (OpenSSL's HKDF takes the ~1.3 KB info).
  ObjectCipher big(ring, h, {std::string(kMaxStoreIdSize, 's'), std::string(kMaxIdentityKeySize, 'k')});
  // Format 1 reads no identity at all.
  h.version = kFormatVersion1;
  ObjectCipher v1(ring, h, {"", ""});
}
