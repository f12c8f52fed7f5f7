// Test vectors: testdata/format_vectors.txt holds fixed inputs and the exact
// object bytes (made by an independent Python implementation,
// testdata/check_vectors.py). This checks the C++ code produces and opens
// those bytes, and that docs/format.md quotes them unchanged.
#include <gtest/gtest.h>

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
  return h;
}

// Format 2 vectors name the identity they are sealed for; format 1 ones
// none (any identity opens them).
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
  ASSERT_EQ(vs.size(), 9u);
  EXPECT_EQ(vs[0].at("name"), "empty");
  EXPECT_EQ(vs[1].at("plaintext"), "616263");
  EXPECT_EQ(bytes(vs[2].at("plaintext")).size(), 2500u);
  size_t v2 = 0;
  for (const auto& v : vs) {
    EXPECT_EQ(header_of(v).version, v.at("name").starts_with("v2-") ? 2 : 1) << v.at("name");
    v2 += header_of(v).version == 2;
  }
  EXPECT_EQ(v2, 5u);
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
  Header h = decode_header(std::span<const uint8_t>(object).first(kHeaderSize));
  auto body = std::span<const uint8_t>(object).subspan(kHeaderSize);
  ObjectCipher as_bob(ring, h, identity_of(bob));
  EXPECT_THROW(test::decrypt_all(as_bob, body), Error);
  EXPECT_FALSE(as_bob.open_trailer(body.last(kTrailerSize)).has_value());
  ObjectCipher as_alice(ring, h, identity_of(alice));
  EXPECT_EQ(to_hex(test::decrypt_all(as_alice, body)), alice.at("plaintext"));
}

TEST(Vectors, EncryptionProducesTheExactBytes) {
  for (const auto& v : load_vectors()) {
    SCOPED_TRACE(v.at("name"));
    auto ring = Keyring::parse(v.at("master_key_id") + ":" + v.at("master_key"));
    Header h = header_of(v);
    EXPECT_EQ(to_hex(derive_object_key(ring.newest(), h, identity_of(v))), v.at("object_key"));
    ObjectCipher cipher(ring, h, identity_of(v));
    auto plain = bytes(v.at("plaintext"));
    for (size_t chunk : {size_t{0}, size_t{1}, size_t{1000}}) {
      auto head = encode_header(h);
      std::vector<uint8_t> object(head.begin(), head.end());
      auto body = test::encrypt(cipher, plain, test::chunking(plain.size(), chunk));
      object.insert(object.end(), body.begin(), body.end());
      EXPECT_EQ(to_hex(object), v.at("object"));
    }
  }
}

TEST(Vectors, DecryptionOpensTheStoredBytes) {
  for (const auto& v : load_vectors()) {
    SCOPED_TRACE(v.at("name"));
    auto ring = Keyring::parse(v.at("master_key_id") + ":" + v.at("master_key"));
    auto object = bytes(v.at("object"));
    Header h = decode_header(std::span<const uint8_t>(object).first(kHeaderSize));
    EXPECT_EQ(h.version, header_of(v).version);
    ObjectCipher cipher(ring, h, identity_of(v));
    auto body = std::span<const uint8_t>(object).subspan(kHeaderSize);
    EXPECT_EQ(to_hex(test::decrypt_all(cipher, body)), v.at("plaintext"));
    auto trailer = cipher.open_trailer(body.last(kTrailerSize));
    ASSERT_TRUE(trailer.has_value());
    EXPECT_EQ(trailer->plain_size, bytes(v.at("plaintext")).size());
    EXPECT_EQ(to_hex(trailer->sha256), v.at("plaintext_sha256"));
  }
}

TEST(Vectors, TheSpecQuotesThemUnchanged) {
  std::string doc = read_file(HAUL_FORMAT_DOC);
  std::string squeezed;
  for (char c : doc) {
    if (!std::isspace(static_cast<unsigned char>(c))) squeezed.push_back(c);
  }
  for (const auto& v : load_vectors()) {
    for (const char* field : {"object", "object_key", "salt", "master_key", "hkdf_info"}) {
      if (!v.contains(field)) continue;
      EXPECT_NE(squeezed.find(v.at(field)), std::string::npos)
          << "docs/format.md lacks " << field << " of vector " << v.at("name");
    }
  }
}

// The fuzz seeds are valid objects under the fuzz target's key and identity
// (3 selector bytes, then header || body), so the fuzzer starts from the
// success path, in both formats.
TEST(Vectors, FuzzSeedsAreValidObjects) {
  auto ring = Keyring::parse("1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
  const ObjectIdentity identity{"fuzz", "seed"};
  size_t seeds = 0, v2_seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(HAUL_FUZZ_CORPUS)) {
    SCOPED_TRACE(entry.path().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GE(data.size(), 3 + kHeaderSize + 16 + kTrailerSize);
    auto object = std::span<const uint8_t>(data).subspan(3);
    Header h = decode_header(object.first(kHeaderSize));
    ObjectCipher cipher(ring, h, identity);
    v2_seeds += h.version == 2;
    auto body = object.subspan(kHeaderSize);
    auto plain = test::decrypt_all(cipher, body);
    auto trailer = cipher.open_trailer(body.last(kTrailerSize));
    ASSERT_TRUE(trailer.has_value());
    EXPECT_EQ(trailer->plain_size, plain.size());
    ++seeds;
  }
  EXPECT_GE(seeds, 9u);
  EXPECT_GE(v2_seeds, 4u);
}
