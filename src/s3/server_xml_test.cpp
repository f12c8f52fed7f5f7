// The S3 server's documents: rendered exactly, read back by the client-side
// parsers (s3/responses.hpp) where one exists; the request parsers accept
// what aws-cli, boto3 and rclone send and answer MalformedXML to the rest.
#include "s3/server_xml.hpp"

#include <gtest/gtest.h>

#include <map>

#include "s3/api_error.hpp"
#include "s3/responses.hpp"
#include "s3/xml.hpp"

namespace haul::s3 {
namespace {

const std::string prolog = R"(<?xml version="1.0" encoding="UTF-8"?>)";
const std::string ns = R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";

// Every element's text by its path joined with '/'; repeated paths collect.
std::multimap<std::string, std::string> elements(const std::string& doc) {
  std::multimap<std::string, std::string> out;
  parse_xml(doc, [&](const std::vector<std::string>& path, const std::string& text) {
    std::string joined;
    for (const auto& p : path) joined += (joined.empty() ? "" : "/") + p;
    out.emplace(joined, text);
  });
  return out;
}

std::string one(const std::multimap<std::string, std::string>& e, const std::string& path) {
  EXPECT_EQ(e.count(path), 1u) << path;
  auto it = e.find(path);
  return it == e.end() ? "<missing>" : it->second;
}

TEST(ServerXml, Helpers) {
  EXPECT_EQ(iso8601(1796506200), "2026-12-05T21:30:00.000Z");
  EXPECT_EQ(iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(url_encode_value("a b+c/d~e_f.g-h\xE2\x98\xBA&%"), "a%20b%2Bc/d~e_f.g-h%E2%98%BA%26%25");
  EXPECT_EQ(normalize_etag("\"abc\""), "abc");
  EXPECT_EQ(normalize_etag(" \"abc-2\" \n"), "abc-2");
  EXPECT_EQ(normalize_etag("abc"), "abc");
  EXPECT_EQ(normalize_etag("\""), "\"");
  EXPECT_EQ(normalize_etag(""), "");
}

TEST(ServerXml, ErrorDocument) {
  auto doc = error_document("NoSuchKey", "The specified key does not exist.", "/b/a&b", "req<1>");
  EXPECT_EQ(doc, prolog +
                     "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
                     "<Resource>/b/a&amp;b</Resource><RequestId>req&lt;1&gt;</RequestId></Error>");
  auto parsed = parse_error(doc);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->code, "NoSuchKey");
  EXPECT_EQ(parsed->resource, "/b/a&b");
  EXPECT_EQ(parsed->request_id, "req<1>");
}

TEST(ServerXml, ListAllMyBuckets) {
  auto doc = list_all_my_buckets_result({"id1", "me"}, {{"b1", 1796506200}, {"b&2", 0}});
  EXPECT_EQ(doc, prolog + "<ListAllMyBucketsResult" + ns +
                     "><Owner><ID>id1</ID><DisplayName>me</DisplayName></Owner><Buckets>"
                     "<Bucket><Name>b1</Name><CreationDate>2026-12-05T21:30:00.000Z</CreationDate></Bucket>"
                     "<Bucket><Name>b&amp;2</Name><CreationDate>1970-01-01T00:00:00.000Z</CreationDate></Bucket>"
                     "</Buckets></ListAllMyBucketsResult>");
  EXPECT_EQ(list_all_my_buckets_result({"i", "n"}, {}),
            prolog + "<ListAllMyBucketsResult" + ns +
                "><Owner><ID>i</ID><DisplayName>n</DisplayName></Owner><Buckets></Buckets></ListAllMyBucketsResult>");
}

ListResult sample_result() {
  ListResult r;
  r.contents.push_back(ListedObject{"photos/a b+\xE2\x98\xBA.jpg", 42, 1796506200, "abc"});
  r.common_prefixes = {"photos/2006/"};
  r.key_count = 2;
  return r;
}

TEST(ServerXml, ListObjectsV2) {
  ListQuery q;
  q.v2 = true;
  q.prefix = "photos/";
  q.delimiter = "/";
  q.max_keys = 2;
  ListResult r = sample_result();
  r.is_truncated = true;
  r.next_continuation_token = encode_continuation_token("photos/2006/");
  auto doc = list_objects_result("bkt", q, r, {"id", "name"});
  EXPECT_EQ(doc, prolog + "<ListBucketResult" + ns +
                     "><Name>bkt</Name><Prefix>photos/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
                     "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
                     "<NextContinuationToken>" +
                     r.next_continuation_token +
                     "</NextContinuationToken>"
                     "<Contents><Key>photos/a b+\xE2\x98\xBA.jpg</Key><LastModified>2026-12-05T21:30:00.000Z"
                     "</LastModified><ETag>&quot;abc&quot;</ETag><Size>42</Size><StorageClass>STANDARD"
                     "</StorageClass></Contents><CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes>"
                     "</ListBucketResult>");
  // haul's own client reads it back.
  auto parsed = parse_list_bucket_v2(doc);
  ASSERT_EQ(parsed.contents.size(), 1u);
  EXPECT_EQ(parsed.contents[0].key, r.contents[0].key);
  EXPECT_EQ(parsed.contents[0].etag, "\"abc\"");
  EXPECT_EQ(parsed.contents[0].mtime_unix, 1796506200);
  EXPECT_EQ(parsed.next_continuation_token, r.next_continuation_token);
}

TEST(ServerXml, ListObjectsV2UrlEncodingAndEchoes) {
  ListQuery q;
  q.v2 = true;
  q.prefix = "a b/";
  q.delimiter = "/";
  q.start_after = "a b/0 0";
  q.continuation_token = "6162";
  q.continuation_token_sent = true;
  q.url_encoding = true;
  q.fetch_owner = true;
  auto e = elements(list_objects_result("bkt", q, sample_result(), {"id", "name"}));
  EXPECT_EQ(one(e, "ListBucketResult/Prefix"), "a%20b/");
  EXPECT_EQ(one(e, "ListBucketResult/StartAfter"), "a%20b/0%200");
  EXPECT_EQ(one(e, "ListBucketResult/ContinuationToken"), "6162");
  EXPECT_EQ(one(e, "ListBucketResult/EncodingType"), "url");
  EXPECT_EQ(one(e, "ListBucketResult/Delimiter"), "/");
  EXPECT_EQ(one(e, "ListBucketResult/Contents/Key"), "photos/a%20b%2B%E2%98%BA.jpg");
  EXPECT_EQ(one(e, "ListBucketResult/Contents/Owner/ID"), "id");
  EXPECT_EQ(one(e, "ListBucketResult/CommonPrefixes/Prefix"), "photos/2006/");
  EXPECT_EQ(one(e, "ListBucketResult/IsTruncated"), "false");
  EXPECT_EQ(e.count("ListBucketResult/NextContinuationToken"), 0u);
  EXPECT_EQ(e.count("ListBucketResult/Marker"), 0u);
}

TEST(ServerXml, ListObjectsV1) {
  ListQuery q;
  q.marker = "m&1";
  q.delimiter = "/";
  ListResult r = sample_result();
  r.is_truncated = true;
  r.next_marker = "photos/2006/";
  auto doc = list_objects_result("bkt", q, r, {"id", "name"});
  EXPECT_EQ(doc, prolog + "<ListBucketResult" + ns +
                     "><Name>bkt</Name><Prefix></Prefix><Marker>m&amp;1</Marker><NextMarker>photos/2006/"
                     "</NextMarker><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
                     "<Contents><Key>photos/a b+\xE2\x98\xBA.jpg</Key><LastModified>2026-12-05T21:30:00.000Z"
                     "</LastModified><ETag>&quot;abc&quot;</ETag><Size>42</Size><Owner><ID>id</ID><DisplayName>"
                     "name</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>"
                     "<CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes></ListBucketResult>");

  // No delimiter: no NextMarker even when truncated (clients use the last Key).
  q.delimiter.clear();
  q.url_encoding = true;
  q.marker = "m 1";
  q.prefix = "p\n";
  auto e = elements(list_objects_result("bkt", q, r, {"id", "name"}));
  EXPECT_EQ(one(e, "ListBucketResult/Prefix"), "p\n");  // V1's Prefix is never encoded (botocore: not decoded)
  EXPECT_EQ(e.count("ListBucketResult/NextMarker"), 0u);
  EXPECT_EQ(e.count("ListBucketResult/Delimiter"), 0u);
  EXPECT_EQ(one(e, "ListBucketResult/Marker"), "m%201");
  EXPECT_EQ(one(e, "ListBucketResult/EncodingType"), "url");
  EXPECT_EQ(e.count("ListBucketResult/KeyCount"), 0u);
}

TEST(ServerXml, ListObjectsEndToEnd) {
  // list_objects then render, as the gateway does.
  std::vector<ListedObject> objects = {{"a", 1, 0, "e1"}, {"d/x", 2, 0, "e2"}};
  PageSource source = [&](std::string_view after, size_t limit) {
    std::vector<ListedObject> out;
    for (const auto& o : objects) {
      if (o.key > after && out.size() < limit) out.push_back(o);
    }
    return out;
  };
  auto q = parse_list_query({{"list-type", "2"}, {"delimiter", "/"}});
  auto e = elements(list_objects_result("b", q, list_objects(q, source), {}));
  EXPECT_EQ(one(e, "ListBucketResult/Contents/Key"), "a");
  EXPECT_EQ(one(e, "ListBucketResult/CommonPrefixes/Prefix"), "d/");
  EXPECT_EQ(one(e, "ListBucketResult/KeyCount"), "2");
}

TEST(ServerXml, ListVersions) {
  ListQuery q;
  q.prefix = "photos/";
  q.marker = "photos/a b";
  q.delimiter = "/";
  q.url_encoding = true;
  q.max_keys = 2;
  ListResult r = sample_result();
  r.is_truncated = true;
  r.next_marker = "photos/2006/";
  auto e = elements(list_versions_result("bkt", q, r, {"id", "name"}));
  EXPECT_EQ(one(e, "ListVersionsResult/Name"), "bkt");
  EXPECT_EQ(one(e, "ListVersionsResult/Prefix"), "photos/");
  EXPECT_EQ(one(e, "ListVersionsResult/KeyMarker"), "photos/a%20b");
  EXPECT_EQ(one(e, "ListVersionsResult/VersionIdMarker"), "null");
  EXPECT_EQ(one(e, "ListVersionsResult/NextKeyMarker"), "photos/2006/");
  EXPECT_EQ(one(e, "ListVersionsResult/NextVersionIdMarker"), "null");
  EXPECT_EQ(one(e, "ListVersionsResult/MaxKeys"), "2");
  EXPECT_EQ(one(e, "ListVersionsResult/IsTruncated"), "true");
  EXPECT_EQ(one(e, "ListVersionsResult/Version/Key"), "photos/a%20b%2B%E2%98%BA.jpg");
  EXPECT_EQ(one(e, "ListVersionsResult/Version/VersionId"), "null");
  EXPECT_EQ(one(e, "ListVersionsResult/Version/IsLatest"), "true");
  EXPECT_EQ(one(e, "ListVersionsResult/Version/ETag"), "\"abc\"");
  EXPECT_EQ(one(e, "ListVersionsResult/Version/Size"), "42");
  EXPECT_EQ(one(e, "ListVersionsResult/Version/Owner/ID"), "id");
  EXPECT_EQ(one(e, "ListVersionsResult/CommonPrefixes/Prefix"), "photos/2006/");
  EXPECT_EQ(e.count("ListVersionsResult/DeleteMarker"), 0u);

  // From the start, not truncated: no next markers, an empty version marker.
  auto first = elements(list_versions_result("bkt", ListQuery{}, sample_result(), {}));
  EXPECT_EQ(one(first, "ListVersionsResult/VersionIdMarker"), "");
  EXPECT_EQ(first.count("ListVersionsResult/NextKeyMarker"), 0u);
  EXPECT_EQ(one(first, "ListVersionsResult/IsTruncated"), "false");
}

TEST(ServerXml, ObjectAttributes) {
  ObjectAttributes a{"abc-3", 42, 3, {{"ChecksumSHA256", "c2hh"}}};
  EXPECT_EQ(get_object_attributes_result(a, {"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}),
            prolog + "<GetObjectAttributesResponse" + ns +
                "><ETag>abc-3</ETag><Checksum><ChecksumSHA256>c2hh</ChecksumSHA256></Checksum><ObjectParts>"
                "<PartsCount>3</PartsCount></ObjectParts><StorageClass>STANDARD</StorageClass>"
                "<ObjectSize>42</ObjectSize></GetObjectAttributesResponse>");
  // Only what was asked for; no parts for an object stored whole.
  a.parts_count = 0;
  EXPECT_EQ(
      get_object_attributes_result(a, {"ObjectSize", "ObjectParts"}),
      prolog + "<GetObjectAttributesResponse" + ns + "><ObjectSize>42</ObjectSize></GetObjectAttributesResponse>");
}

TEST(ServerXml, LocationConstraint) {
  EXPECT_EQ(location_constraint("us-east-1"), prolog + "<LocationConstraint" + ns + "></LocationConstraint>");
  EXPECT_EQ(location_constraint(""), prolog + "<LocationConstraint" + ns + "></LocationConstraint>");
  EXPECT_EQ(location_constraint("eu-west-1"), prolog + "<LocationConstraint" + ns + ">eu-west-1</LocationConstraint>");
}

TEST(ServerXml, CopyResults) {
  EXPECT_EQ(
      copy_object_result("abc", 1796506200),
      prolog + "<CopyObjectResult" + ns +
          "><LastModified>2026-12-05T21:30:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag></CopyObjectResult>");
  EXPECT_EQ(copy_part_result("abc", 0),
            prolog + "<CopyPartResult" + ns +
                "><LastModified>1970-01-01T00:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag></CopyPartResult>");
}

TEST(ServerXml, MultipartDocuments) {
  auto init = initiate_multipart_upload_result("bkt", "a&b", "u-1");
  EXPECT_EQ(init, prolog + "<InitiateMultipartUploadResult" + ns +
                      "><Bucket>bkt</Bucket><Key>a&amp;b</Key><UploadId>u-1</UploadId>"
                      "</InitiateMultipartUploadResult>");
  auto parsed = parse_initiate_multipart_upload(init);
  EXPECT_EQ(parsed.key, "a&b");
  EXPECT_EQ(parsed.upload_id, "u-1");

  auto done = complete_multipart_upload_result("http://h/bkt/k", "bkt", "k", "abc-2");
  EXPECT_EQ(done, prolog + "<CompleteMultipartUploadResult" + ns +
                      "><Location>http://h/bkt/k</Location><Bucket>bkt</Bucket><Key>k</Key>"
                      "<ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>");
  EXPECT_NO_THROW(parse_complete_multipart_upload(done));
}

TEST(ServerXml, ListParts) {
  PartsListing l{"bkt", "k", "u1", 0, 2, 2, true, {{1, 0, "e1", 5}, {2, 86400, "e2", 6}}};
  auto doc = list_parts_result(l);
  auto e = elements(doc);
  EXPECT_EQ(one(e, "ListPartsResult/PartNumberMarker"), "0");
  EXPECT_EQ(one(e, "ListPartsResult/MaxParts"), "2");
  auto parsed = parse_list_parts(doc);
  EXPECT_EQ(parsed.upload_id, "u1");
  EXPECT_TRUE(parsed.is_truncated);
  EXPECT_EQ(parsed.next_part_number_marker, 2u);
  ASSERT_EQ(parsed.parts.size(), 2u);
  EXPECT_EQ(parsed.parts[1].part_number, 2u);
  EXPECT_EQ(parsed.parts[1].etag, "\"e2\"");
  EXPECT_EQ(parsed.parts[1].size, 6u);

  l.is_truncated = false;
  l.next_part_number_marker.reset();
  EXPECT_EQ(elements(list_parts_result(l)).count("ListPartsResult/NextPartNumberMarker"), 0u);
}

TEST(ServerXml, ListMultipartUploads) {
  UploadsListing l;
  l.bucket = "bkt";
  l.key_marker = "a b";
  l.prefix = "p/";
  l.delimiter = "/";
  l.is_truncated = true;
  l.next_key_marker = "p/k 1";
  l.next_upload_id_marker = "u1";
  l.url_encoding = true;
  l.uploads = {{"p/k 1", "u1", 1796506200}};
  l.common_prefixes = {"p/sub dir/"};
  auto doc = list_multipart_uploads_result(l);
  auto e = elements(doc);
  EXPECT_EQ(one(e, "ListMultipartUploadsResult/KeyMarker"), "a%20b");
  EXPECT_EQ(one(e, "ListMultipartUploadsResult/NextKeyMarker"), "p/k%201");
  EXPECT_EQ(one(e, "ListMultipartUploadsResult/NextUploadIdMarker"), "u1");
  EXPECT_EQ(one(e, "ListMultipartUploadsResult/Upload/Key"), "p/k%201");
  EXPECT_EQ(one(e, "ListMultipartUploadsResult/Upload/Initiated"), "2026-12-05T21:30:00.000Z");
  EXPECT_EQ(one(e, "ListMultipartUploadsResult/CommonPrefixes/Prefix"), "p/sub%20dir/");
  EXPECT_EQ(one(e, "ListMultipartUploadsResult/MaxUploads"), "1000");
  auto parsed = parse_list_multipart_uploads(doc);
  ASSERT_EQ(parsed.uploads.size(), 1u);
  EXPECT_EQ(parsed.uploads[0].upload_id, "u1");
  EXPECT_EQ(parsed.uploads[0].initiated_unix, 1796506200);
  EXPECT_TRUE(parsed.is_truncated);
}

TEST(ServerXml, DeleteResult) {
  std::vector<DeleteOutcome> outcomes = {{"a&b", "", ""}, {"c", "AccessDenied", "Access Denied"}};
  EXPECT_EQ(delete_result(outcomes, false),
            prolog + "<DeleteResult" + ns +
                "><Deleted><Key>a&amp;b</Key></Deleted><Error><Key>c</Key><Code>AccessDenied</Code>"
                "<Message>Access Denied</Message></Error></DeleteResult>");
  EXPECT_EQ(delete_result(outcomes, true), prolog + "<DeleteResult" + ns +
                                               "><Error><Key>c</Key><Code>AccessDenied</Code>"
                                               "<Message>Access Denied</Message></Error></DeleteResult>");
}

// ---- request bodies ----

template <typename Fn>
void expect_malformed(Fn&& fn, const std::string& what) {
  try {
    fn();
    ADD_FAILURE() << "accepted: " << what;
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400) << what;
    EXPECT_EQ(e.code(), "MalformedXML") << what;
  }
}

TEST(ServerXmlRequests, CreateBucketConfiguration) {
  EXPECT_EQ(parse_create_bucket_configuration(""), "");
  EXPECT_EQ(parse_create_bucket_configuration(" \r\n"), "");
  EXPECT_EQ(parse_create_bucket_configuration(
                R"(<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
                R"(<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>)"),
            "eu-west-1");
  EXPECT_EQ(parse_create_bucket_configuration("<CreateBucketConfiguration/>"), "");
  expect_malformed([] { parse_create_bucket_configuration("<Other/>"); }, "wrong root");
  expect_malformed([] { parse_create_bucket_configuration("<CreateBucketConfiguration>"); }, "unclosed");
  expect_malformed([] { parse_create_bucket_configuration("not xml"); }, "text");
}

TEST(ServerXmlRequests, Delete) {
  // As boto3 sends it.
  auto r = parse_delete_request(
      R"(<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<Object><Key>b</Key></Object><Object><Key> a &amp; c </Key><VersionId>v</VersionId></Object>)"
      R"(<Quiet>true</Quiet></Delete>)");
  EXPECT_TRUE(r.quiet);
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.objects[0].key, "b");
  EXPECT_EQ(r.objects[1].key, " a & c ");
  EXPECT_TRUE(r.objects[0].etag.empty());
  EXPECT_FALSE(r.objects[0].last_modified || r.objects[0].size);
  // Conditions per object (s3-tests' delete_objects_if_match_* cases).
  auto c = parse_delete_request(
      "<Delete><Object><Key>k</Key><ETag>&quot;abc&quot;</ETag><LastModifiedTime>2015-01-01T00:00:00Z"
      "</LastModifiedTime><Size>0</Size></Object></Delete>");
  EXPECT_EQ(c.objects.at(0).etag, "abc");
  EXPECT_EQ(c.objects.at(0).last_modified, 1420070400);
  EXPECT_EQ(c.objects.at(0).size, 0u);
  auto rfc = parse_delete_request(  // as botocore sends it
      "<Delete><Object><Key>k</Key><LastModifiedTime>Thu, 01 Jan 2015 00:00:00 GMT</LastModifiedTime>"
      "</Object></Delete>");
  EXPECT_EQ(rfc.objects.at(0).last_modified, 1420070400);
  expect_malformed([] { parse_delete_request("<Delete><Object><Key>k</Key><Size>-1</Size></Object></Delete>"); },
                   "bad size");
  expect_malformed(
      [] {
        parse_delete_request(
            "<Delete><Object><Key>k</Key><LastModifiedTime>yesterday</LastModifiedTime>"
            "</Object></Delete>");
      },
      "bad time");
  EXPECT_FALSE(parse_delete_request("<Delete><Object><Key>k</Key></Object></Delete>").quiet);
  EXPECT_FALSE(parse_delete_request("<Delete><Quiet>false</Quiet><Object><Key>k</Key></Object></Delete>").quiet);

  expect_malformed([] { parse_delete_request("<Delete></Delete>"); }, "no objects");
  expect_malformed([] { parse_delete_request("<Delete><Object></Object></Delete>"); }, "no key");
  expect_malformed([] { parse_delete_request("<Delete><Object><Key></Key></Object></Delete>"); }, "empty key");
  expect_malformed([] { parse_delete_request("<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>"); },
                   "two keys");
  expect_malformed([] { parse_delete_request("<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>"); },
                   "bad quiet");
  expect_malformed([] { parse_delete_request("<Object><Key>k</Key></Object>"); }, "wrong root");
  expect_malformed([] { parse_delete_request(""); }, "empty");

  std::string body = "<Delete>";
  for (size_t i = 0; i < delete_max_objects; ++i) body += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  EXPECT_EQ(parse_delete_request(body + "</Delete>").objects.size(), delete_max_objects);
  expect_malformed([&] { parse_delete_request(body + "<Object><Key>one-more</Key></Object></Delete>"); },
                   "1001 objects");
}

TEST(ServerXmlRequests, CompleteMultipartUpload) {
  // As aws-cli sends it, with checksums (ignored) and in the order given.
  auto parts = parse_complete_multipart_upload_request(
      R"(<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<Part><ETag>"e1"</ETag><ChecksumCRC32>AAAA</ChecksumCRC32><PartNumber>1</PartNumber></Part>)"
      R"(<Part><PartNumber>3</PartNumber><ETag>&quot;e3&quot;</ETag></Part>)"
      R"(<Part><PartNumber>2</PartNumber><ETag>e2</ETag></Part></CompleteMultipartUpload>)");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].part_number, 1u);
  EXPECT_EQ(parts[0].etag, "e1");
  EXPECT_EQ(parts[1].part_number, 3u);
  EXPECT_EQ(parts[1].etag, "e3");
  EXPECT_EQ(parts[2].part_number, 2u);
  EXPECT_EQ(parts[2].etag, "e2");

  // haul's own client body round-trips.
  auto own = parse_complete_multipart_upload_request(complete_multipart_upload_body({{7, "\"x\"", 0}}));
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].part_number, 7u);
  EXPECT_EQ(own[0].etag, "x");

  auto bad = [](const std::string& body) {
    expect_malformed([&] { parse_complete_multipart_upload_request(body); }, body);
  };
  bad("<CompleteMultipartUpload></CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><PartNumber>1x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><PartNumber>99999999999</PartNumber><ETag>e</ETag></Part>"
      "</CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"\"</ETag></Part></CompleteMultipartUpload>");
  bad("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>e</ETag></Part>"
      "</CompleteMultipartUpload>");
  bad("<Delete/>");
  bad("<!DOCTYPE x><CompleteMultipartUpload/>");

  std::string body = "<CompleteMultipartUpload>";
  for (uint32_t i = 1; i <= max_part_number; ++i) {
    body += "<Part><PartNumber>" + std::to_string(i) + "</PartNumber><ETag>e</ETag></Part>";
  }
  EXPECT_EQ(parse_complete_multipart_upload_request(body + "</CompleteMultipartUpload>").size(), max_part_number);
  bad(body + "<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>");
}

TEST(ServerXmlRequests, EveryTruncationIsMalformedXml) {
  const std::string body =
      R"(<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<Object><Key>a&amp;b</Key></Object><Quiet>true</Quiet></Delete>)";
  for (size_t n = 0; n < body.size(); ++n) {
    expect_malformed([&] { parse_delete_request(body.substr(0, n)); }, "prefix " + std::to_string(n));
  }
  EXPECT_NO_THROW(parse_delete_request(body));
}

}  // namespace
}  // namespace haul::s3
