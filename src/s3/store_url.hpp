#pragma once
// Parsing of S3 store URLs and AWS credentials files (sans-IO: text in,
// values out; the store reads files and the environment).
//
//   s3://BUCKET[/PREFIX]?endpoint=URL&region=R[&style=virtual|path]
//        [&credentials=FILE][&profile=NAME]
//
// endpoint defaults to https://s3.REGION.amazonaws.com, region to us-east-1,
// style to path (what RGW, MinIO and most S3-compatible servers expect).
// Query values may be percent-encoded. Errors: Error(config) with the reason.

#include <optional>
#include <string>
#include <string_view>

#include "s3/sigv4.hpp"

namespace haul::s3 {

struct StoreUrl {
  std::string bucket;
  std::string prefix;            // "" or ending in '/': "backups/"
  std::string scheme = "https";  // of the endpoint: http or https
  std::string host;              // endpoint host[:port], as in a Host header
  std::string region = "us-east-1";
  bool virtual_host = false;     // bucket in the host name instead of the path
  std::string credentials_file;  // empty: environment, then ~/.aws/credentials
  std::string profile = "default";
  std::string ca_file;  // https endpoints: PEM CA file to trust; empty: the system's store
};

StoreUrl parse_store_url(std::string_view url);

// Where one request goes: "http://host:port" + canonical_uri, with Host.
struct RequestTarget {
  std::string url;            // full URL without query: "http://127.0.0.1:8000/bkt/a%20b"
  std::string host;           // Host header value
  std::string canonical_uri;  // encoded path: "/bkt/a%20b"
};

// The target of an object (key already includes the store prefix) or, with
// an empty key, of the bucket itself.
RequestTarget request_target(const StoreUrl& store, std::string_view key);

// Credentials of `profile` in an AWS ini file (aws_access_key_id,
// aws_secret_access_key, aws_session_token); nullopt when the profile or its
// keys are absent.
std::optional<Credentials> parse_credentials_ini(std::string_view text, std::string_view profile);

}  // namespace haul::s3
