// parse_s3_target and the S3 header rules, without sockets.
#include <gtest/gtest.h>

#include "gateway/s3_headers.hpp"
#include "gateway/s3_target.hpp"
#include "s3/api_error.hpp"

namespace haul::gateway {
namespace {

S3Target path_style(std::string_view method, std::string_view target, bool copy = false) {
  return parse_s3_target(method, target, "127.0.0.1:9000", "", copy);
}

TEST(S3Target, BucketAndObjectOperations) {
  EXPECT_EQ(path_style("GET", "/").op, S3Op::list_buckets);
  EXPECT_EQ(path_style("PUT", "/b").op, S3Op::create_bucket);
  EXPECT_EQ(path_style("PUT", "/b/").op, S3Op::create_bucket);
  EXPECT_EQ(path_style("HEAD", "/b").op, S3Op::head_bucket);
  EXPECT_EQ(path_style("DELETE", "/b").op, S3Op::delete_bucket);
  EXPECT_EQ(path_style("GET", "/b?location").op, S3Op::get_bucket_location);
  EXPECT_EQ(path_style("GET", "/b?prefix=a").op, S3Op::list_objects_v1);
  EXPECT_EQ(path_style("GET", "/b?list-type=2&prefix=a").op, S3Op::list_objects_v2);
  EXPECT_EQ(path_style("POST", "/b?delete").op, S3Op::delete_objects);
  EXPECT_EQ(path_style("GET", "/b?uploads").op, S3Op::list_multipart_uploads);
  EXPECT_EQ(path_style("GET", "/b?versions").op, S3Op::list_object_versions);
  EXPECT_EQ(path_style("PUT", "/b/k").op, S3Op::put_object);
  EXPECT_EQ(path_style("PUT", "/b/k", true).op, S3Op::copy_object);
  EXPECT_EQ(path_style("GET", "/b/k").op, S3Op::get_object);
  EXPECT_EQ(path_style("HEAD", "/b/k").op, S3Op::head_object);
  EXPECT_EQ(path_style("GET", "/b/k?attributes").op, S3Op::get_object_attributes);
  EXPECT_EQ(path_style("DELETE", "/b/k").op, S3Op::delete_object);
  EXPECT_EQ(path_style("POST", "/b/k?uploads").op, S3Op::create_multipart);
  EXPECT_EQ(path_style("PUT", "/b/k?partNumber=2&uploadId=u").op, S3Op::upload_part);
  EXPECT_EQ(path_style("PUT", "/b/k?partNumber=2&uploadId=u", true).op, S3Op::upload_part_copy);
  EXPECT_EQ(path_style("POST", "/b/k?uploadId=u").op, S3Op::complete_multipart);
  EXPECT_EQ(path_style("DELETE", "/b/k?uploadId=u").op, S3Op::abort_multipart);
  EXPECT_EQ(path_style("GET", "/b/k?uploadId=u").op, S3Op::list_parts);
  EXPECT_EQ(path_style("POST", "/b/k").op, S3Op::method_not_allowed);
  EXPECT_EQ(path_style("PUT", "/").op, S3Op::method_not_allowed);
}

TEST(S3Target, KeysAreDecodedAndKeepTheirSlashes) {
  auto t = path_style("GET", "/photos/2026/a%20b%2Bc.jpg?versionId=null");
  EXPECT_EQ(t.bucket, "photos");
  EXPECT_EQ(t.key, "2026/a b+c.jpg");
  EXPECT_EQ(t.query.at("versionId"), "null");
  EXPECT_EQ(path_style("GET", "/b/a//b").key, "a//b");
}

TEST(S3Target, OnlyTheNullVersionExists) {
  EXPECT_EQ(path_style("DELETE", "/b/k?versionId=null").op, S3Op::delete_object);
  try {
    path_style("GET", "/b/k?versionId=3HL4kqtJlcpXroDTDmJ");
    ADD_FAILURE() << "a version id was accepted";
  } catch (const s3::ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.code(), "InvalidArgument");
  }
}

TEST(S3Target, VirtualHostStyleWhenTheHostIsUnderTheDomain) {
  auto t = parse_s3_target("GET", "/dir/file", "Photos.S3.Example.com:8080", "s3.example.com", false);
  EXPECT_EQ(t.bucket, "Photos");  // validated later, as every bucket name is
  EXPECT_EQ(t.key, "dir/file");
  EXPECT_EQ(t.op, S3Op::get_object);
  // The domain itself and other hosts stay path style.
  EXPECT_EQ(parse_s3_target("GET", "/b/k", "s3.example.com", "s3.example.com", false).bucket, "b");
  EXPECT_EQ(parse_s3_target("GET", "/b/k", "evils3.example.com", "s3.example.com", false).bucket, "b");
}

TEST(S3Target, SubResourcesHaulDoesNotOfferAreNamed) {
  auto t = path_style("GET", "/b/k?acl");
  EXPECT_EQ(t.op, S3Op::unsupported);
  EXPECT_EQ(t.detail, "acl");
  EXPECT_EQ(path_style("PUT", "/b?versioning").op, S3Op::unsupported);
}

TEST(S3Target, UndecodableTargetsAreInvalidUri) {
  try {
    path_style("GET", "/b/%zz");
    FAIL();
  } catch (const s3::ApiError& e) {
    EXPECT_EQ(e.code(), "InvalidURI");
    EXPECT_EQ(e.status(), 400);
  }
  EXPECT_THROW(path_style("GET", "/b/k?a=%g1"), s3::ApiError);
}

TEST(S3Headers, MetadataKeptSortedLowerCasedAndBounded) {
  auto m = metadata_from_request({{"Content-Type", "text/plain"},
                                  {"X-Amz-Meta-Color", " blue "},
                                  {"x-amz-meta-color", "red"},
                                  {"Authorization", "secret"},
                                  {"Cache-Control", "no-cache"},
                                  {"x-amz-date", "20260101T000000Z"}});
  MetadataPairs want{{"cache-control", "no-cache"}, {"content-type", "text/plain"}, {"x-amz-meta-color", "blue,red"}};
  EXPECT_EQ(m, want);
  try {
    metadata_from_request({{"x-amz-meta-big", std::string(2100, 'x')}});
    FAIL();
  } catch (const s3::ApiError& e) {
    EXPECT_EQ(e.code(), "MetadataTooLarge");
  }
}

TEST(S3Headers, ResponseHeadersWithOverrides) {
  MetadataPairs m{{"content-type", "text/plain"}, {"x-amz-meta-a", "1"}};
  auto h = metadata_response_headers(m, {{"response-content-type", "image/png"}, {"response-cache-control", "x"}});
  std::vector<std::pair<std::string, std::string>> want{
      {"Cache-Control", "x"}, {"Content-Type", "image/png"}, {"x-amz-meta-a", "1"}};
  EXPECT_EQ(h, want);
  auto plain = metadata_response_headers({});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].second, "binary/octet-stream");
}

TEST(S3Headers, ConditionsInRfc7232Order) {
  const std::string etag = "\"abc\"";
  const int64_t mtime = 1'700'000'000;
  const std::string before = http_date(mtime - 60), after = http_date(mtime + 60);
  EXPECT_EQ(evaluate_conditions("", "", "", "", "GET", etag, mtime), std::nullopt);
  EXPECT_EQ(evaluate_conditions("\"abc\"", "", "", "", "GET", etag, mtime), std::nullopt);
  EXPECT_EQ(evaluate_conditions("abc", "", "", "", "GET", etag, mtime), std::nullopt);
  EXPECT_EQ(evaluate_conditions("\"x\", \"abc\"", "", "", "", "GET", etag, mtime), std::nullopt);
  EXPECT_EQ(evaluate_conditions("\"x\"", "", "", "", "GET", etag, mtime), 412);
  EXPECT_EQ(evaluate_conditions("*", "", "", "", "GET", etag, mtime), std::nullopt);
  EXPECT_EQ(evaluate_conditions("", "\"abc\"", "", "", "GET", etag, mtime), 304);
  EXPECT_EQ(evaluate_conditions("", "\"abc\"", "", "", "PUT", etag, mtime), 412);
  EXPECT_EQ(evaluate_conditions("", "", after, "", "GET", etag, mtime), 304);
  EXPECT_EQ(evaluate_conditions("", "", before, "", "GET", etag, mtime), std::nullopt);
  EXPECT_EQ(evaluate_conditions("", "", "", before, "GET", etag, mtime), 412);
  EXPECT_EQ(evaluate_conditions("", "", "", after, "GET", etag, mtime), std::nullopt);
  // If-Match passing overrides If-Unmodified-Since; If-None-Match overrides If-Modified-Since.
  EXPECT_EQ(evaluate_conditions("\"abc\"", "", "", before, "GET", etag, mtime), std::nullopt);
  EXPECT_EQ(evaluate_conditions("", "\"zzz\"", after, "", "GET", etag, mtime), std::nullopt);
  // Unparsable dates are ignored.
  EXPECT_EQ(evaluate_conditions("", "", "yesterday", "", "GET", etag, mtime), std::nullopt);
}

TEST(S3Headers, HttpDatesRoundTrip) {
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(parse_http_date("Sat, 05 Dec 2026 21:30:00 GMT"), 1796506200);
  EXPECT_EQ(parse_http_date(http_date(1796506200)), 1796506200);
  EXPECT_EQ(parse_http_date("2026-12-05"), std::nullopt);
  EXPECT_EQ(iso8601_date(1796506200), "2026-12-05T21:30:00.000Z");
}

}  // namespace
}  // namespace haul::gateway
