#pragma once
// What the S3 API says about one stored object: size, mtime, ETag and
// metadata, read as HEAD reads them (the header and the authenticated
// trailer, one store read). Blocks: call on the blocking pool.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/context.hpp"
#include "gateway/open_pipeline.hpp"
#include "gateway/s3_headers.hpp"

namespace haul::gateway {

struct S3ObjectInfo {
  uint64_t size = 0;
  int64_t mtime_unix = 0;
  std::string etag;         // quoted, S3's (s3_etag)
  std::string native_etag;  // the native API's, which names the stored version
  MetadataPairs metadata;
};

// nullopt when there is no such object. Throws Error for anything else
// (integrity, store failures).
std::optional<S3ObjectInfo> s3_object_info(GatewayContext& ctx, const std::string& store_key);

// The S3 ETag of an object (quoted): the MD5 of its plaintext ("hex"), or of
// its parts' MD5s ("hex-N"), when the trailer holds one (objects written
// through the S3 API); otherwise the first 128 bits of its SHA-256 with a
// "-1" suffix, so S3 clients never take it for an MD5 (rclone would report
// the object as corrupted).
std::string s3_etag(const ObjectSummary& summary);

// An MD5 ETag without quotes: "hex" for a whole object, "hex-N" for the MD5
// of a multipart object's N part MD5s.
std::string md5_etag(const std::array<uint8_t, 16>& md5, uint32_t parts = 0);

// "\"hex\"" of an MD5.
std::string quoted_md5(const std::array<uint8_t, 16>& md5);

// An ETag without its quotes.
std::string unquoted(std::string_view etag);

}  // namespace haul::gateway
