// The XML reader and the S3 response parsers, with bodies as RGW and AWS send them.
#include <gtest/gtest.h>

#include "s3/responses.hpp"
#include "s3/xml.hpp"

namespace haul::s3 {
namespace {

const std::string list_v2 =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix>p/</Prefix>)"
    R"(<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>)"
    R"(<NextContinuationToken>tok&amp;1</NextContinuationToken>)"
    R"(<Contents><Key>p/a &amp; b&#x263A;</Key><LastModified>2026-11-22T03:14:56.123Z</LastModified>)"
    R"(<ETag>&quot;abc&quot;</ETag><Size>123</Size><StorageClass>STANDARD</StorageClass></Contents>)"
    R"(<Contents><Key>p/c</Key><LastModified>1970-01-02T00:00:00.000Z</LastModified><ETag>"d"</ETag>)"
    R"(<Size>0</Size></Contents></ListBucketResult>)";

TEST(S3Xml, ListBucketV2) {
  auto r = parse_list_bucket_v2(list_v2);
  ASSERT_EQ(r.contents.size(), 2u);
  EXPECT_EQ(r.contents[0].key, "p/a & b\xe2\x98\xba");
  EXPECT_EQ(r.contents[0].size, 123u);
  EXPECT_EQ(r.contents[0].etag, "\"abc\"");
  EXPECT_EQ(r.contents[0].mtime_unix, 1795317296);
  EXPECT_EQ(r.contents[1].key, "p/c");
  EXPECT_EQ(r.contents[1].mtime_unix, 86400);
  EXPECT_TRUE(r.is_truncated);
  EXPECT_EQ(r.next_continuation_token, "tok&1");
}

TEST(S3Xml, EveryTruncationIsAnErrorNotACrash) {
  // Cut the document at every byte: each strict prefix that ends before the
  // root's end tag must be rejected with a haul::Error.
  size_t root_end = list_v2.rfind("</ListBucketResult>");
  for (size_t n = 0; n < root_end + 1; ++n) {
    EXPECT_THROW(parse_list_bucket_v2(std::string_view(list_v2).substr(0, n)), Error) << "prefix " << n;
  }
  EXPECT_NO_THROW(parse_list_bucket_v2(list_v2 + "\n"));
}

TEST(S3Xml, InitiateMultipartUpload) {
  auto r = parse_initiate_multipart_upload(
      R"(<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<Bucket>bkt</Bucket><Key>k</Key><UploadId>2~AbC-dEf</UploadId></InitiateMultipartUploadResult>)");
  EXPECT_EQ(r.bucket, "bkt");
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.upload_id, "2~AbC-dEf");
  EXPECT_THROW(parse_initiate_multipart_upload("<InitiateMultipartUploadResult/>"), Error);
}

TEST(S3Xml, ListParts) {
  auto r = parse_list_parts(
      R"(<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId>)"
      R"(<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>)"
      R"(<Part><LastModified>2026-11-22T03:14:56.000Z</LastModified><PartNumber>1</PartNumber>)"
      R"(<ETag>"e1"</ETag><Size>8388608</Size></Part>)"
      R"(<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag><Size>1</Size></Part></ListPartsResult>)");
  EXPECT_EQ(r.upload_id, "u1");
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_EQ(r.parts[0].part_number, 1u);
  EXPECT_EQ(r.parts[0].etag, "\"e1\"");
  EXPECT_EQ(r.parts[0].size, 8388608u);
  EXPECT_EQ(r.parts[1].etag, "\"e2\"");
  EXPECT_FALSE(r.is_truncated);
  EXPECT_EQ(r.next_part_number_marker, 2u);
  EXPECT_THROW(
      parse_list_parts("<ListPartsResult><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></ListPartsResult>"),
      Error);
}

TEST(S3Xml, ListMultipartUploads) {
  auto r = parse_list_multipart_uploads(
      "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>"
      "<Upload><Key>k1</Key><UploadId>u1</UploadId></Upload><Upload><Key>k2</Key><UploadId>u2</UploadId>"
      "<Initiated>2026-12-01T07:08:18.000Z</Initiated></Upload>"
      "<NextKeyMarker>k2</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>"
      "</ListMultipartUploadsResult>");
  ASSERT_EQ(r.uploads.size(), 2u);
  EXPECT_EQ(r.uploads[1].key, "k2");
  EXPECT_EQ(r.uploads[1].upload_id, "u2");
  EXPECT_FALSE(r.uploads[0].initiated_unix);
  EXPECT_EQ(r.uploads[1].initiated_unix, 1796108898);  // date -d 2026-12-01T07:08:18Z +%s
  EXPECT_EQ(r.next_key_marker, "k2");
  EXPECT_EQ(r.next_upload_id_marker, "u2");
}

TEST(S3Xml, ErrorDocument) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>gone</Message>)"
                     R"(<BucketName>b</BucketName><RequestId>tx1</RequestId><HostId>h</HostId></Error>)";
  auto e = parse_error(body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "gone");
  EXPECT_EQ(e->request_id, "tx1");
  EXPECT_FALSE(parse_error(list_v2));
  EXPECT_FALSE(parse_error("not xml"));
  EXPECT_FALSE(parse_error(""));
  // A 200 answer to CompleteMultipartUpload may carry an Error.
  try {
    parse_complete_multipart_upload(body);
    FAIL() << "no throw";
  } catch (const S3ErrorResponse& err) {
    EXPECT_EQ(err.response.code, "NoSuchKey");
  }
  EXPECT_NO_THROW(parse_complete_multipart_upload(
      "<CompleteMultipartUploadResult><Location>l</Location><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>"));
  EXPECT_THROW(parse_complete_multipart_upload("<ListPartsResult/>"), Error);
}

TEST(S3Xml, ReaderRejectsMalformed) {
  auto none = [](const auto&, const auto&) {};
  for (const char* doc : {"",
                          "   ",
                          "<a>",
                          "<a></b>",
                          "<a><b></a></b>",
                          "</a>",
                          "<a>&bogus;</a>",
                          "<a>&#0;</a>",
                          "<a>&#x110000;</a>",
                          "<a>&amp</a>",
                          "<!DOCTYPE a><a/>",
                          "<a/><b/>",
                          "text<a/>",
                          "<a x></a>",
                          "<a x=1></a>",
                          "<a x=\"1></a>",
                          "<a><![CDATA[x</a>",
                          "<a><!-- x</a>",
                          "<?xml",
                          "<a>&#xD800;</a>",
                          "<>",
                          "<a/>x"}) {
    EXPECT_THROW(parse_xml(doc, none), Error) << doc;
  }
  std::string deep;
  for (size_t i = 0; i <= xml_max_depth; ++i) deep += "<a>";
  EXPECT_THROW(parse_xml(deep, none), Error);
}

TEST(S3Xml, ReaderDecodesTextAndCdata) {
  std::vector<std::pair<std::string, std::string>> seen;
  auto root = parse_xml(
      "<?xml version='1.0'?><!-- c --><r a='1' b=\"x>y\"><k>&lt;&#65;&#x42;&gt;</k><e/>"
      "<c><![CDATA[<raw&>]]></c></r>",
      [&](const auto& path, const auto& text) { seen.emplace_back(path.back(), text); });
  EXPECT_EQ(root, "r");
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], (std::pair<std::string, std::string>{"k", "<AB>"}));
  EXPECT_EQ(seen[1], (std::pair<std::string, std::string>{"e", ""}));
  EXPECT_EQ(seen[2], (std::pair<std::string, std::string>{"c", "<raw&>"}));
  EXPECT_EQ(seen[3].first, "r");
}

TEST(S3Xml, CompleteBodyEscapes) {
  EXPECT_EQ(complete_multipart_upload_body({{1, "\"e1\"", 0}, {2, "\"e2\"", 0}}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part></CompleteMultipartUpload>");
}

TEST(S3Xml, Iso8601) {
  EXPECT_EQ(parse_iso8601("2015-08-30T12:36:00.000Z"), 1440938160);
  EXPECT_EQ(parse_iso8601("2015-08-30T12:36:00Z"), 1440938160);
  EXPECT_FALSE(parse_iso8601("2015-08-30 12:36:00Z"));
  EXPECT_FALSE(parse_iso8601("2015-13-30T12:36:00Z"));
  EXPECT_FALSE(parse_iso8601(""));
}

}  // namespace
}  // namespace haul::s3
