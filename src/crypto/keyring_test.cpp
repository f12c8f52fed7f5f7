#include "crypto/keyring.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "core/hex.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {

const std::string kHexA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kHexB = "FFEEDDCCBBAA99887766554433221100ffeeddccbbaa99887766554433221100";

ErrorKind parse_error(const std::string& text) {
  try {
    Keyring::parse(text);
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "parse accepted: " << text;
  return ErrorKind::internal;
}

}  // namespace

TEST(Keyring, ParsesKeysCommentsBlanksAndCrlf) {
  auto ring = Keyring::parse("# comment\n\n  3:" + kHexB + "  \r\n1:" + kHexA + "\n# end");
  ASSERT_EQ(ring.keys().size(), 2u);
  EXPECT_EQ(ring.keys()[0].id, 1u);  // sorted by id
  EXPECT_EQ(ring.newest().id, 3u);
  EXPECT_EQ(to_hex(ring.find(1)->secret), kHexA);
  EXPECT_EQ(ring.find(3)->secret[0], 0xFF);
  EXPECT_EQ(ring.find(2), nullptr);
}

TEST(Keyring, LastLineWithoutNewline) {
  auto ring = Keyring::parse("4294967295:" + kHexA);
  EXPECT_EQ(ring.newest().id, 4294967295u);
}

TEST(Keyring, RejectsBadFiles) {
  EXPECT_EQ(parse_error(""), ErrorKind::config);
  EXPECT_EQ(parse_error("# only a comment\n\n"), ErrorKind::config);
  EXPECT_EQ(parse_error(kHexA), ErrorKind::config);         // no id
  EXPECT_EQ(parse_error("x:" + kHexA), ErrorKind::config);  // id not a number
  EXPECT_EQ(parse_error("-1:" + kHexA), ErrorKind::config);
  EXPECT_EQ(parse_error("4294967296:" + kHexA), ErrorKind::config);          // id over u32
  EXPECT_EQ(parse_error("1:" + kHexA.substr(2)), ErrorKind::config);         // 31 bytes
  EXPECT_EQ(parse_error("1:" + kHexA + "00"), ErrorKind::config);            // 33 bytes
  EXPECT_EQ(parse_error("1:" + kHexA.substr(1) + "g"), ErrorKind::config);   // not hex
  EXPECT_EQ(parse_error("1:" + kHexA + "\n1:" + kHexB), ErrorKind::config);  // duplicate id
}

TEST(Keyring, ErrorNamesTheLine) {
  try {
    Keyring::parse("1:" + kHexA + "\n\nbad\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

TEST(Keyring, GenerateLineParsesAndDiffers) {
  std::set<std::string> secrets;
  for (uint32_t id : {1u, 2u, 77u}) {
    auto line = Keyring::generate_line(id);
    ASSERT_EQ(line.back(), '\n');
    auto ring = Keyring::parse(line);
    EXPECT_EQ(ring.newest().id, id);
    secrets.insert(to_hex(ring.newest().secret));
  }
  EXPECT_EQ(secrets.size(), 3u);
  // A rotated file: the appended key is the newest, the old one still opens.
  auto ring = Keyring::parse(Keyring::generate_line(1) + Keyring::generate_line(2));
  EXPECT_EQ(ring.newest().id, 2u);
  EXPECT_NE(ring.find(1), nullptr);
}
