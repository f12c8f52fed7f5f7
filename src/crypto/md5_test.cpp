// MD5 against RFC 1321's test suite, and the incremental hasher against the
// one-shot one at every split.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/hex.hpp"
#include "crypto/md5.hpp"
#include "crypto/sha256.hpp"

using namespace haul;
using namespace haul::crypto;

TEST(Md5, Rfc1321Vectors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& [text, hex] : cases) {
    EXPECT_EQ(md5_hex(as_bytes(text)), hex) << text;
    Md5 h;
    h.update(as_bytes(text));
    EXPECT_EQ(to_hex(h.finish()), hex) << text;
  }
}

TEST(Md5, IncrementalEqualsOneShotAtEverySplitAndStartsOver) {
  const std::string text = "The quick brown fox jumps over the lazy dog, and then some more bytes past one block.";
  const Md5Digest whole = md5(as_bytes(text));
  Md5 h;
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    h.update(as_bytes(text).first(cut));
    h.update(as_bytes(text).subspan(cut));
    ASSERT_EQ(h.finish(), whole) << cut;  // finish() starts the hasher over
  }
  Md5 moved = std::move(h);
  moved.update(as_bytes(text));
  EXPECT_EQ(moved.finish(), whole);
}
