#include <gtest/gtest.h>

#include "core/error.hpp"
#include "s3/store_url.hpp"

namespace haul::s3 {
namespace {

TEST(StoreUrl, PathStyleWithPrefix) {
  auto u = parse_store_url("s3://my-bucket/a/b/?endpoint=http://127.0.0.1:8000&region=default");
  EXPECT_EQ(u.bucket, "my-bucket");
  EXPECT_EQ(u.prefix, "a/b/");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "127.0.0.1:8000");
  EXPECT_EQ(u.region, "default");
  EXPECT_FALSE(u.virtual_host);
  auto t = request_target(u, "a/b/x y+z");
  EXPECT_EQ(t.host, "127.0.0.1:8000");
  EXPECT_EQ(t.canonical_uri, "/my-bucket/a/b/x%20y%2Bz");
  EXPECT_EQ(t.url, "http://127.0.0.1:8000/my-bucket/a/b/x%20y%2Bz");
  EXPECT_EQ(request_target(u, "").canonical_uri, "/my-bucket");
}

TEST(StoreUrl, DefaultsAndVirtualHost) {
  auto u = parse_store_url("s3://bkt?region=eu-west-1&style=virtual&credentials=%2Ftmp%2Fc&profile=p");
  EXPECT_EQ(u.prefix, "");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "s3.eu-west-1.amazonaws.com");
  EXPECT_TRUE(u.virtual_host);
  EXPECT_EQ(u.credentials_file, "/tmp/c");
  EXPECT_EQ(u.profile, "p");
  auto t = request_target(u, "k");
  EXPECT_EQ(t.host, "bkt.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(t.url, "https://bkt.s3.eu-west-1.amazonaws.com/k");
  EXPECT_EQ(parse_store_url("s3://bkt").region, "us-east-1");
}

TEST(StoreUrl, CaFileForHttpsEndpoints) {
  auto u = parse_store_url("s3://bkt?endpoint=https://127.0.0.1:8443&ca_file=%2Ftmp%2Fca.pem");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.ca_file, "/tmp/ca.pem");
  EXPECT_EQ(parse_store_url("s3://bkt?ca_file=/tmp/ca.pem").ca_file, "/tmp/ca.pem");  // AWS: https
  EXPECT_EQ(parse_store_url("s3://bkt?endpoint=https://h").ca_file, "");
  EXPECT_THROW(parse_store_url("s3://bkt?endpoint=http://h&ca_file=/tmp/ca.pem"), Error);  // would be ignored
  EXPECT_THROW(parse_store_url("s3://bkt?endpoint=https://h&ca_file="), Error);
}

TEST(StoreUrl, Rejects) {
  for (const char* url :
       {"s3:/bkt", "fs:/x", "s3://", "s3://ab", "s3://Upper", "s3://bkt?endpoint=ftp://h",
        "s3://bkt?endpoint=http://h/path", "s3://bkt?endpoint=", "s3://bkt?region", "s3://bkt?style=sideways",
        "s3://bkt?colour=red", "s3://bkt?endpoint=http%3", "s3://bkt?endpoint=%zz"}) {
    EXPECT_THROW(parse_store_url(url), Error) << url;
  }
}

TEST(StoreUrl, CredentialsIni) {
  const char* ini =
      "# comment\n[default]\naws_access_key_id = AK1\naws_secret_access_key=SK1\r\n\n"
      "[profile other]\naws_access_key_id=AK2\naws_secret_access_key = SK2\naws_session_token=T2\n[empty]\n";
  auto d = parse_credentials_ini(ini, "default");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->access_key, "AK1");
  EXPECT_EQ(d->secret_key, "SK1");
  auto o = parse_credentials_ini(ini, "other");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->secret_key, "SK2");
  EXPECT_EQ(o->session_token, "T2");
  EXPECT_FALSE(parse_credentials_ini(ini, "empty"));
  EXPECT_FALSE(parse_credentials_ini(ini, "missing"));
  EXPECT_FALSE(parse_credentials_ini("", "default"));
}

}  // namespace
}  // namespace haul::s3
