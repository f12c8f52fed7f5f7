// Sans-IO parts of the fs store: key validation, key -> path mapping, file
// prefixes, upload meta, range clamping.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "store/fs_layout.hpp"
#include "store/fs_object.hpp"
#include "store/store.hpp"

namespace haul::store {
namespace {

// A key of exactly `size` bytes made of 100-byte segments (each one valid).
std::string key_of_size(size_t size) {
  std::string key;
  while (key.size() < size) key += (key.size() % 101 == 100) ? '/' : 'k';
  if (key.back() == '/') key.back() = 'k';
  return key;
}

TEST(ValidateKey, RejectsBadKeys) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"empty", ""},
      {"dotdot alone", ".."},
      {"dotdot first", "../etc/passwd"},
      {"dotdot middle", "a/../b"},
      {"dotdot last", "a/.."},
      {"dot segment", "a/./b"},
      {"absolute", "/etc/passwd"},
      {"NUL", std::string("a\0b", 3)},
      {"newline", "a\nb"},
      {"tab", "a\tb"},
      {"DEL", "a\x7f"},
      {"escape", "\x1b[31m"},
      {"backslash", "a\\b"},
      {"1025 bytes", key_of_size(1025)},
      {"segment 251 bytes", std::string(251, 's')},
      {"lone continuation byte", "a\x80"},
      {"truncated sequence", "caf\xc3"},
      {"overlong slash",
       "a\xc0\xaf"
       "b"},
      {"surrogate", "\xed\xa0\x80"},
      {"above U+10FFFF", "\xf4\x90\x80\x80"},
  };
  for (const auto& [name, bad_key] : bad) {
    const std::string& key = bad_key;  // clang 14 lambdas cannot capture structured bindings
    EXPECT_EQ(haul::testing::error_kind_of([&] { validate_key(key); }), ErrorKind::bad_request) << name;
  }
}

TEST(ValidateKey, AcceptsGoodKeys) {
  const std::string long_key = key_of_size(1024);
  ASSERT_EQ(long_key.size(), 1024u);
  ASSERT_EQ(key_of_size(1025).size(), 1025u);
  const std::vector<std::string> good = {
      "a",
      "reports/1M.data",
      "with spaces/and more spaces.txt",
      "unicode/\xc3\xa9t\xc3\xa9/\xe4\xb8\xad\xe6\x96\x87/\xf0\x9f\x93\xa6",  // été/中文/📦
      "...",
      ".hidden",
      "a.obj/b.dir",
      "tmp",
      "folder/",  // S3 folder markers
      "a//b",
      "a/",
      std::string(250, 's'),
      long_key,
  };
  for (const auto& key : good) EXPECT_NO_THROW(validate_key(key)) << key;
}

TEST(FsLayout, KeyToPath) {
  EXPECT_EQ(fs::key_to_relative_path("a"), "a.obj");
  EXPECT_EQ(fs::key_to_relative_path("a/b"), "a.dir/b.obj");
  EXPECT_EQ(fs::key_to_relative_path("x.dir/y.obj"), "x.dir.dir/y.obj.obj");
  EXPECT_EQ(fs::key_to_relative_path("a/"), "a.dir/.obj");
  EXPECT_EQ(fs::key_to_relative_path("a//b"), "a.dir/.dir/b.obj");
  EXPECT_EQ(haul::testing::error_kind_of([] { fs::key_to_relative_path("../x"); }), ErrorKind::bad_request);
}

TEST(FsLayout, DecodeEntryName) {
  auto obj = fs::decode_entry_name("a b.obj");
  ASSERT_TRUE(obj);
  EXPECT_EQ(obj->segment, "a b");
  EXPECT_FALSE(obj->is_dir);
  auto dir = fs::decode_entry_name("x.obj.dir");
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->segment, "x.obj");
  EXPECT_TRUE(dir->is_dir);
  auto empty_obj = fs::decode_entry_name(".obj");  // the empty segment: key "a/" is a.dir/.obj
  ASSERT_TRUE(empty_obj);
  EXPECT_EQ(empty_obj->segment, "");
  EXPECT_FALSE(empty_obj->is_dir);
  auto empty_dir = fs::decode_entry_name(".dir");
  ASSERT_TRUE(empty_dir);
  EXPECT_TRUE(empty_dir->is_dir);
  EXPECT_FALSE(fs::decode_entry_name("."));
  EXPECT_FALSE(fs::decode_entry_name(".."));
  EXPECT_FALSE(fs::decode_entry_name("notes.txt"));
}

TEST(FsLayout, ObjectPrefixRoundTripAndCorruption) {
  auto prefix = fs::encode_object_prefix(123);
  EXPECT_EQ(fs::parse_object_prefix(prefix, "f"), 123u);
  for (size_t n = 0; n < prefix.size(); ++n) {
    EXPECT_EQ(haul::testing::error_kind_of([&] { fs::parse_object_prefix(std::span(prefix.data(), n), "f"); }),
              ErrorKind::integrity)
        << n;
  }
  auto bad_magic = prefix;
  bad_magic[0] ^= 1;
  EXPECT_EQ(haul::testing::error_kind_of([&] { fs::parse_object_prefix(bad_magic, "f"); }), ErrorKind::integrity);
  auto huge = fs::encode_object_prefix(fs::kMaxHeaderSize + 1);
  EXPECT_EQ(haul::testing::error_kind_of([&] { fs::parse_object_prefix(huge, "f"); }), ErrorKind::integrity);
}

TEST(FsLayout, PartPrefixRoundTrip) {
  auto prefix = fs::encode_part_prefix(0x0102030405060708ull);
  EXPECT_EQ(fs::parse_part_prefix(prefix, "p"), 0x0102030405060708ull);
  for (size_t n = 0; n < prefix.size(); ++n) {
    EXPECT_EQ(haul::testing::error_kind_of([&] { fs::parse_part_prefix(std::span(prefix.data(), n), "p"); }),
              ErrorKind::integrity)
        << n;
  }
}

TEST(FsLayout, UploadMetaRoundTripAndEveryTruncation) {
  fs::UploadMeta meta{"dir/key", {1, 2, 3, 4, 5}};
  auto bytes = fs::encode_upload_meta(meta);
  auto back = fs::parse_upload_meta(bytes, "m");
  EXPECT_EQ(back.key, meta.key);
  EXPECT_EQ(back.header, meta.header);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(haul::testing::error_kind_of([&] { fs::parse_upload_meta(std::span(bytes.data(), n), "m"); }),
              ErrorKind::integrity)
        << n;
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(haul::testing::error_kind_of([&] { fs::parse_upload_meta(longer, "m"); }), ErrorKind::integrity);
}

TEST(FsLayout, BodyExtentClamps) {
  struct Case {
    BodyRange range;
    uint64_t begin, end;
  };
  const std::vector<Case> cases = {
      {BodyRange{}, 0, 100},
      {BodyRange{10, std::nullopt, std::nullopt}, 10, 100},
      {BodyRange{10, 5, std::nullopt}, 10, 15},
      {BodyRange{95, 50, std::nullopt}, 95, 100},
      {BodyRange{100, 1, std::nullopt}, 100, 100},
      {BodyRange{500, std::nullopt, std::nullopt}, 100, 100},
      {BodyRange{0, UINT64_MAX, std::nullopt}, 0, 100},
      {BodyRange{0, std::nullopt, 30}, 70, 100},
      {BodyRange{0, std::nullopt, 1000}, 0, 100},
      {BodyRange{0, std::nullopt, 0}, 100, 100},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto e = fs::body_extent(100, cases[i].range);
    EXPECT_EQ(e.begin, cases[i].begin) << i;
    EXPECT_EQ(e.end, cases[i].end) << i;
  }
}

}  // namespace
}  // namespace haul::store
