// Test vectors: testdata/format_vectors.txt holds fixed inputs and the exact
// object bytes (made by an independent Python implementation,
// testdata/check_vectors.py). This checks the C++ code produces and opens
// those bytes, and that docs/format.md quotes them unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "core/hex.hpp"
#include "crypto/object_key.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

using Vector = std::map<std::string, std::string>;

std::string read_file(const char* path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Vector> load_vectors() {
  std::vector<Vector> out;
  Vector cur;
  std::istringstream in(read_file(HAUL_CRYPTO_VECTORS));
  std::string line;
  auto trim = [](std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
    return s;
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (!line.empty() && line[0] == '#') continue;
    if (line.empty()) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      continue;
    }
    auto eq = line.find('=');
    cur[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<uint8_t> bytes(const std::string& hex) {
  auto b = from_hex(hex);
  EXPECT_TRUE(b.has_value()) << hex;
  return b.value_or(std::vector<uint8_t>{});
}

// Format 3's metadata_N = "name: value" lines, in N order.
Metadata metadata_of(const Vector& v) {
  Metadata m;
  for (size_t i = 0; v.contains("metadata_" + std::to_string(i)); ++i) {
    const std::string& line = v.at("metadata_" + std::to_string(i));
    auto colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    m.emplace_back(line.substr(0, colon), value);
  }
  return m;
}

// What a format-3 vector's trailer holds ("none": absent).
ObjectCipher::TrailerContents trailer_of(const Vector& v) {
  ObjectCipher::TrailerContents c;
  c.plain_size = bytes(v.at("plaintext")).size();
  const std::string& sha = v.contains("trailer_sha256") ? v.at("trailer_sha256") : v.at("plaintext_sha256");
  if (sha != "none") {
    auto digest = bytes(sha);
    EXPECT_EQ(digest.size(), 32u);
    std::copy_n(digest.begin(), 32, c.sha256.emplace().begin());
  }
  if (v.contains("trailer_md5") && v.at("trailer_md5") != "none") {
    auto md5 = bytes(v.at("trailer_md5"));
    EXPECT_EQ(md5.size(), 16u);
    std::copy_n(md5.begin(), 16, c.md5.emplace().begin());
  }
  c.etag_parts = v.contains("etag_parts") ? static_cast<uint32_t>(std::stoul(v.at("etag_parts"))) : 0;
  return c;
}

// Where the header ends in header || body (the vector and seed files hold
// them together; stores keep them apart).
size_t header_length(std::span<const uint8_t> object) {
  if (object.size() < kFixedHeaderSize + 4 || object[4] < kFormatVersion3) return kFixedHeaderSize;
  return kFixedHeaderSize + 4 +
         (size_t{object[52]} << 24 | size_t{object[53]} << 16 | size_t{object[54]} << 8 | object[55]);
}

Header header_of(const Vector& v) {
  Header h;
  h.version = v.contains("format") ? static_cast<uint8_t>(std::stoul(v.at("format"))) : kFormatVersion1;
  h.key_id = static_cast<uint32_t>(std::stoul(v.at("master_key_id")));
  h.segment_size = static_cast<uint32_t>(std::stoul(v.at("segment_size")));
  auto salt = bytes(v.at("salt"));
  auto prefix = bytes(v.at("nonce_prefix"));
  EXPECT_EQ(salt.size(), kSaltSize);
  EXPECT_EQ(prefix.size(), kNoncePrefixSize);
  std::copy_n(salt.begin(), kSaltSize, h.salt.begin());
  std::copy_n(prefix.begin(), kNoncePrefixSize, h.nonce_prefix.begin());
  h.metadata = metadata_of(v);
  return h;
}

// Format 2 and 3 vectors name the identity they are sealed for; format 1
// ones none (any identity opens them).
ObjectIdentity identity_of(const Vector& v) {
  if (!v.contains("store_id")) return ObjectIdentity{"unused", "unused"};
  return ObjectIdentity{v.at("store_id"), v.at("object_name")};
}

const Vector& by_name(const std::vector<Vector>& vs, const std::string& name) {
  for (const auto& v : vs) {
    if (v.at("name") == name) return v;
  }
  throw std::runtime_error("no vector " + name);
}

}  // namespace

TEST(Vectors, FileHoldsTheExpectedVectors) {
  auto vs = load_vectors();
  ASSERT_EQ(vs.size(), 13u);
  EXPECT_EQ(vs[0].at("name"), "empty");
  EXPECT_EQ(vs[1].at("plaintext"), "616263");
  EXPECT_EQ(bytes(vs[2].at("plaintext")).size(), 2500u);
  std::map<int, size_t> per_format;
  for (const auto& v : vs) {
    const std::string& name = v.at("name");
    EXPECT_EQ(header_of(v).version, name.starts_with("v3-") ? 3 : name.starts_with("v2-") ? 2 : 1) << name;
    ++per_format[header_of(v).version];
  }
  EXPECT_EQ(per_format[1], 4u);
  EXPECT_EQ(per_format[2], 5u);
  EXPECT_EQ(per_format[3], 4u);
  // Format 3's vectors cover metadata and every kind of trailer digest.
  EXPECT_EQ(metadata_of(by_name(vs, "v3-abc-metadata")).size(), 3u);
  EXPECT_FALSE(trailer_of(by_name(vs, "v3-pattern-1030-sha256-only")).md5.has_value());
  EXPECT_FALSE(trailer_of(by_name(vs, "v3-pattern-1030-multipart")).sha256.has_value());
  EXPECT_EQ(trailer_of(by_name(vs, "v3-pattern-1030-multipart")).etag_parts, 2u);
}

TEST(Vectors, InfoStringsAreTheSpecifiedEncoding) {
  for (const auto& v : load_vectors()) {
    if (!v.contains("hkdf_info")) continue;
    SCOPED_TRACE(v.at("name"));
    EXPECT_EQ(to_hex(object_key_info(header_of(v), identity_of(v))), v.at("hkdf_info"));
  }
}

// v2-abc and v2-abc-bob differ only in the object name: each opens under its
// own identity and under no other.
TEST(Vectors, FormatTwoOpensOnlyUnderItsIdentity) {
  auto vs = load_vectors();
  const Vector& alice = by_name(vs, "v2-abc");
  const Vector& bob = by_name(vs, "v2-abc-bob");
  EXPECT_NE(alice.at("object"), bob.at("object"));
  auto ring = Keyring::parse(alice.at("master_key_id") + ":" + alice.at("master_key"));
  auto object = bytes(alice.at("object"));
  Header h = decode_header(std::span<const uint8_t>(object).first(kFixedHeaderSize));
  auto body = std::span<const uint8_t>(object).subspan(kFixedHeaderSize);
  ObjectCipher as_bob(ring, h, identity_of(bob));
  EXPECT_THROW(test::decrypt_all(as_bob, body), Error);
  EXPECT_FALSE(as_bob.open_trailer(body.last(kTrailerSizeV2)).has_value());
  ObjectCipher as_alice(ring, h, identity_of(alice));
  EXPECT_EQ(to_hex(test::decrypt_all(as_alice, body)), alice.at("plaintext"));
}

namespace {

// Format 3 vectors: the encryptor computes the MD5 where the trailer holds
// MD5(plaintext); other trailers (no SHA-256, a multipart ETag) are given
// as totals, as the S3 API's completion will give them.
std::vector<uint8_t> encrypt_vector(const ObjectCipher& cipher, const Vector& v, std::span<const uint8_t> plain,
                                    size_t chunk) {
  StreamEncryptor enc(cipher);
  const bool v3 = cipher.header().version == kFormatVersion3;
  const auto want = trailer_of(v);
  const bool computed = !v3 || (want.sha256 && want.etag_parts == 0);
  if (v3 && want.md5 && want.etag_parts == 0) enc.compute_md5();
  if (!computed) enc.set_object_totals(want);
  std::vector<uint8_t> body;
  size_t at = 0;
  for (size_t c : test::chunking(plain.size(), chunk)) {
    enc.update(plain.subspan(at, c), body);
    at += c;
  }
  enc.finish(body);
  if (v3 && want.md5 && want.etag_parts == 0) {
    EXPECT_EQ(enc.md5(), want.md5);
  } else {
    EXPECT_FALSE(enc.md5().has_value());
  }
  return body;
}

}  // namespace

TEST(Vectors, EncryptionProducesTheExactBytes) {
  for (const auto& v : load_vectors()) {
    SCOPED_TRACE(v.at("name"));
    auto ring = Keyring::parse(v.at("master_key_id") + ":" + v.at("master_key"));
    Header h = header_of(v);
    EXPECT_EQ(to_hex(derive_object_key(ring.newest(), h, identity_of(v))), v.at("object_key"));
    if (v.contains("header")) {
      EXPECT_EQ(to_hex(encode_header(h)), v.at("header"));
    }
    ObjectCipher cipher(ring, h, identity_of(v));
    auto plain = bytes(v.at("plaintext"));
    for (size_t chunk : {size_t{0}, size_t{1}, size_t{1000}}) {
      std::vector<uint8_t> object = encode_header(h);
      auto body = encrypt_vector(cipher, v, plain, chunk);
      object.insert(object.end(), body.begin(), body.end());
      EXPECT_EQ(to_hex(object), v.at("object"));
    }
  }
}

// new_header sorts the metadata it is given: the vector's entries in any
// order give its header (salt and prefix aside, which new_header draws).
TEST(Vectors, NewHeaderSortsMetadataIntoTheVectorsOrder) {
  const auto vs = load_vectors();
  const Vector& v = by_name(vs, "v3-abc-metadata");
  auto ring = Keyring::parse(v.at("master_key_id") + ":" + v.at("master_key"));
  Metadata reversed = metadata_of(v);
  std::reverse(reversed.begin(), reversed.end());
  Header h = new_header(ring.newest(), 1024, reversed);
  Header want = header_of(v);
  h.salt = want.salt;
  h.nonce_prefix = want.nonce_prefix;
  EXPECT_EQ(to_hex(encode_header(h)), v.at("header"));
}

TEST(Vectors, DecryptionOpensTheStoredBytes) {
  for (const auto& v : load_vectors()) {
    SCOPED_TRACE(v.at("name"));
    auto ring = Keyring::parse(v.at("master_key_id") + ":" + v.at("master_key"));
    auto object = bytes(v.at("object"));
    const size_t header_size = header_length(object);
    Header h = decode_header(std::span<const uint8_t>(object).first(header_size));
    EXPECT_EQ(h.version, header_of(v).version);
    EXPECT_EQ(h.metadata, metadata_of(v));
    ObjectCipher cipher(ring, h, identity_of(v));
    auto body = std::span<const uint8_t>(object).subspan(header_size);
    EXPECT_EQ(to_hex(test::decrypt_all(cipher, body)), v.at("plaintext"));
    auto trailer = cipher.open_trailer(body.last(cipher.layout().trailer_size));
    ASSERT_TRUE(trailer.has_value());
    const auto want = trailer_of(v);
    EXPECT_EQ(trailer->plain_size, want.plain_size);
    EXPECT_EQ(trailer->sha256, want.sha256);
    EXPECT_EQ(trailer->md5, want.md5);
    EXPECT_EQ(trailer->etag_parts, want.etag_parts);
    if (h.version < kFormatVersion3) {
      EXPECT_EQ(to_hex(*trailer->sha256), v.at("plaintext_sha256"));
    }
  }
}

TEST(Vectors, TheSpecQuotesThemUnchanged) {
  std::string doc = read_file(HAUL_FORMAT_DOC);
  std::string squeezed;
  for (char c : doc) {
    if (!std::isspace(static_cast<unsigned char>(c))) squeezed.push_back(c);
  }
  for (const auto& v : load_vectors()) {
    for (const char* field : {"object", "object_key", "salt", "master_key", "hkdf_info", "header"}) {
      if (!v.contains(field)) continue;
      EXPECT_NE(squeezed.find(v.at(field)), std::string::npos)
          << "docs/format.md lacks " << field << " of vector " << v.at("name");
    }
  }
}

// The fuzz seeds are valid objects under the fuzz target's key and identity
// (3 selector bytes, then header || body), so the fuzzer starts from the
// success path, in every format.
TEST(Vectors, FuzzSeedsAreValidObjects) {
  auto ring = Keyring::parse("1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
  const ObjectIdentity identity{"fuzz", "seed"};
  size_t seeds = 0, v2_seeds = 0, v3_seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(HAUL_FUZZ_CORPUS)) {
    SCOPED_TRACE(entry.path().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GE(data.size(), 3 + kFixedHeaderSize + 16 + kTrailerSizeV2);
    auto object = std::span<const uint8_t>(data).subspan(3);
    const size_t header_size = header_length(object);
    Header h = decode_header(object.first(header_size));
    ObjectCipher cipher(ring, h, identity);
    v2_seeds += h.version == 2;
    v3_seeds += h.version == 3 && !h.metadata.empty();
    auto body = object.subspan(header_size);
    auto plain = test::decrypt_all(cipher, body);
    auto trailer = cipher.open_trailer(body.last(cipher.layout().trailer_size));
    ASSERT_TRUE(trailer.has_value());
    EXPECT_EQ(trailer->plain_size, plain.size());
    ++seeds;
  }
  EXPECT_GE(seeds, 9u);
  EXPECT_GE(v2_seeds, 4u);
  EXPECT_GE(v3_seeds, 2u);
}
