// The --s3-credentials-file format: good files, every kind of bad line (with
// its line number and without the secret in the message), and load().
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "core/test_temp_dir.hpp"
#include "s3/credentials_file.hpp"

namespace haul::s3 {
namespace {

// The message of the Error(config) that parsing `text` throws.
std::string parse_error(std::string_view text) {
  try {
    S3Credentials::parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return "";
}

TEST(S3Credentials, ParsesKeysCommentsAndBucketLimits) {
  auto creds = S3Credentials::parse(
      "# haul S3 keys\n"
      "\n"
      "AKIAONE:secret/one+x\n"
      "  AKIATWO : secret2 : photos, backups \r\n"
      "\t# indented comment\n"
      "AKIATHREE:s3:only");  // no final newline
  EXPECT_EQ(creds.size(), 3u);
  const S3Credential* one = creds.find("AKIAONE");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->secret, "secret/one+x");
  EXPECT_TRUE(one->buckets.empty());
  EXPECT_TRUE(one->allows("anything"));
  const S3Credential* two = creds.find("AKIATWO");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->access_key, "AKIATWO");
  EXPECT_EQ(two->secret, "secret2");
  EXPECT_EQ(two->buckets, (std::vector<std::string>{"photos", "backups"}));
  EXPECT_TRUE(two->allows("photos"));
  EXPECT_TRUE(two->allows("backups"));
  EXPECT_FALSE(two->allows("Photos"));
  EXPECT_FALSE(two->allows("photo"));
  EXPECT_FALSE(two->allows(""));
  EXPECT_TRUE(creds.find("AKIATHREE")->allows("only"));
  EXPECT_EQ(creds.find("akiaone"), nullptr);  // ids are case-sensitive, as in AWS
  EXPECT_EQ(creds.find(""), nullptr);
}

TEST(S3Credentials, EmptyFileHasNoKeys) {
  EXPECT_EQ(S3Credentials::parse("").size(), 0u);
  EXPECT_EQ(S3Credentials::parse("# nothing\n\n  \n").size(), 0u);
}

TEST(S3Credentials, BadLinesNameTheLineAndNotTheSecret) {
  EXPECT_NE(parse_error("# c\nAKIA\n").find("line 2"), std::string::npos);
  EXPECT_NE(parse_error(":topsecret").find("line 1: empty access key id"), std::string::npos);
  EXPECT_NE(parse_error("\n\nAKIA:  \n").find("line 3: empty secret"), std::string::npos);
  EXPECT_NE(parse_error("AKIA:topsecret:a,,b").find("empty bucket name"), std::string::npos);
  EXPECT_NE(parse_error("AKIA:topsecret:").find("empty bucket name"), std::string::npos);
  EXPECT_NE(parse_error("AK IA:topsecret").find("line 1"), std::string::npos);
  EXPECT_NE(parse_error("AK/IA:topsecret").find("line 1"), std::string::npos);
  std::string dup = parse_error("AKIA:topsecret\n#\nAKIA:othersecret\n");
  EXPECT_NE(dup.find("line 3: duplicate access key id AKIA"), std::string::npos);
  for (const char* text : {"AKIA:topsecret:a,,b", "AKIA:topsecret\nAKIA:topsecret", "AKIA:topsecret:"}) {
    EXPECT_EQ(parse_error(text).find("topsecret"), std::string::npos) << text;
  }
}

TEST(S3Credentials, PointersSurviveAMove) {
  auto creds = S3Credentials::parse("A:1\nB:2\n");
  const S3Credential* a = creds.find("A");
  S3Credentials moved = std::move(creds);
  EXPECT_EQ(moved.find("A"), a);
}

TEST(S3Credentials, LoadReadsAFileAndRefusesAMissingOne) {
  testing::TempDir dir("haul-s3-creds");
  std::string path = (dir.path() / "keys").string();
  std::ofstream(path) << "AKIAFILE:filesecret:b1\n";
  auto creds = S3Credentials::load(path);
  ASSERT_NE(creds.find("AKIAFILE"), nullptr);
  EXPECT_EQ(creds.find("AKIAFILE")->secret, "filesecret");
  try {
    S3Credentials::load((dir.path() / "missing").string());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
  }
}

}  // namespace
}  // namespace haul::s3
