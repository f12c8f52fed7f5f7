#include "http/header_params.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "http/ows.hpp"
#include "http/part_headers.hpp"

using namespace haul::http;
using namespace std::string_literals;

TEST(ParamHeader, QuotedAndUnquoted) {
  auto h = parse_param_header("Form-Data; NAME=\"file\"; filename=a.bin");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->value, "form-data");
  EXPECT_EQ(h->param("name"), "file");
  EXPECT_EQ(h->param("filename"), "a.bin");
  EXPECT_FALSE(h->param("other"));
}

TEST(ParamHeader, EscapedQuotes) {
  auto h = parse_param_header(R"(form-data; name="a\"b\\c"; filename="x;y=z")");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->param("name"), "a\"b\\c");
  EXPECT_EQ(h->param("filename"), "x;y=z");
}

TEST(ParamHeader, EmptyQuotedAndEmptyParams) {
  auto h = parse_param_header("form-data ;name=\"\"; ;");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->param("name"), "");
  EXPECT_EQ(h->params.size(), 1u);
}

TEST(ParamHeader, DuplicatesKept) {
  auto h = parse_param_header("form-data; name=a; name=b");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->count("name"), 2u);
}

TEST(ParamHeader, Malformed) {
  for (const char* bad : {"", "  ", "; name=a", "form-data; name", "form-data; =a", "form-data; name=",
                          "form-data; name=\"open", "form-data; name=\"a\"b", "form-data name=a", "form-data; na me=a",
                          "form-data; name=a\"b", "form-data; name=\"a\\", "form-data; name=\"a\x01\""}) {
    EXPECT_FALSE(parse_param_header(bad)) << bad;
  }
}

namespace {

void expect_bad(std::string_view block, std::string_view reason_part) {
  try {
    parse_part_headers(block);
    ADD_FAILURE() << "accepted: " << block;
  } catch (const haul::Error& e) {
    EXPECT_EQ(e.kind(), haul::ErrorKind::bad_request);
    EXPECT_NE(std::string(e.what()).find(reason_part), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(PartHeaders, Minimal) {
  PartInfo p = parse_part_headers("Content-Disposition: form-data; name=\"data\"\r\n\r\n");
  EXPECT_EQ(p.name, "data");
  EXPECT_FALSE(p.filename);
  EXPECT_EQ(p.content_type, "text/plain");
}

TEST(PartHeaders, AllFields) {
  PartInfo p = parse_part_headers(
      "content-type:application/json; charset=utf-8\r\nX-Other: 1\r\n"
      "CONTENT-DISPOSITION:   form-data; name=file; filename=\"\"  \r\n\r\n");
  EXPECT_EQ(p.name, "file");
  ASSERT_TRUE(p.filename);
  EXPECT_EQ(*p.filename, "");
  EXPECT_EQ(p.content_type, "application/json; charset=utf-8");
}

TEST(PartHeaders, FoldedLine) {
  PartInfo p = parse_part_headers("Content-Disposition: form-data;\r\n name=\"folded\"\r\n\r\n");
  EXPECT_EQ(p.name, "folded");
}

TEST(PartHeaders, Errors) {
  expect_bad("\r\n", "without Content-Disposition");
  expect_bad("Content-Type: text/plain\r\n\r\n", "without Content-Disposition");
  expect_bad("Content-Disposition: form-data\r\n\r\n", "exactly one name");
  expect_bad("Content-Disposition: form-data; filename=x\r\n\r\n", "exactly one name");
  expect_bad("Content-Disposition: form-data; name=a; name=b\r\n\r\n", "exactly one name");
  expect_bad("Content-Disposition: form-data; name=\"\"\r\n\r\n", "empty name");
  expect_bad("Content-Disposition: form-data; name=a; filename=x; filename=y\r\n\r\n", "repeated filename");
  expect_bad("Content-Disposition: attachment; name=a\r\n\r\n", "not form-data");
  expect_bad("Content-Disposition: form-data; name=\"a\r\n\r\n", "malformed Content-Disposition");
  expect_bad("Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\n",
             "repeated Content-Disposition");
  expect_bad("Content-Disposition: form-data; name=a\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n",
             "repeated Content-Type");
  expect_bad("garbage line\r\n\r\n", "no ':'");
  expect_bad(": value\r\n\r\n", "header name");
  expect_bad("Bad Name: value\r\n\r\n", "header name");
  expect_bad(" folded first\r\n\r\n", "continuation");
  expect_bad("Content-Disposition: form-data; name=a\0\r\n\r\n"s, "control");
}

TEST(PartHeaders, Utf8AndExtendedFilename) {
  // Browsers and urllib3 send UTF-8 file names raw; filename* (RFC 5987) is
  // ignored (RFC 7578 section 4.2 says senders must not use it).
  PartInfo p = parse_part_headers(
      "Content-Disposition: form-data; name=\"file\"; filename=\"f\xc3\xa9.bin\"; "
      "filename*=UTF-8''%E2%82%AC.txt\r\n\r\n");
  EXPECT_EQ(p.name, "file");
  EXPECT_EQ(p.filename, "f\xc3\xa9.bin");
}

TEST(ListElements, CommaListsWithoutOwsOrEmptyElements) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(list_elements("ETag,Checksum, ObjectSize"), (V{"ETag", "Checksum", "ObjectSize"}));
  EXPECT_EQ(list_elements(" gzip ,\taws-chunked "), (V{"gzip", "aws-chunked"}));
  EXPECT_EQ(list_elements(",a,,b,"), (V{"a", "b"}));
  EXPECT_TRUE(list_elements("").empty());
  EXPECT_TRUE(list_elements(" , ,").empty());
}
