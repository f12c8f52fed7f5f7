#pragma once
// The payload of an S3 upload, as the S3 handlers consume it: the request
// body read through the Exchange, aws-chunked framing decoded, and every
// digest the client committed to checked (the signed x-amz-content-sha256,
// chunk and trailer signatures, an x-amz-checksum-* header or trailer,
// Content-MD5).
// The end of the payload is reported only after all of them passed, so a
// handler that commits after the end never stores a body that fails one.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/sha256.hpp"
#include "gateway/exchange.hpp"
#include "s3/payload_checksum.hpp"
#include "s3/sigv4_verify.hpp"

namespace haul::s3 {
class AwsChunkedDecoder;
}

namespace haul::crypto {
class Md5;
}

namespace haul::gateway {

class S3Body {
 public:
  // Throws s3::ApiError for headers that already rule the body out: a
  // malformed Content-MD5 (400 InvalidDigest), aws-chunked framing without
  // a streaming x-amz-content-sha256 or the other way round (400
  // InvalidRequest), no length at all (411 MissingContentLength).
  S3Body(Exchange& ex, const s3::VerifiedRequest& auth);
  ~S3Body();
  S3Body(const S3Body&) = delete;
  S3Body& operator=(const S3Body&) = delete;

  // The next piece of payload (valid until the next call); empty at the end,
  // once every check passed. Throws s3::ApiError: 400
  // XAmzContentSHA256Mismatch, BadDigest, IncompleteBody, 403
  // SignatureDoesNotMatch (a chunk signature), ...
  asio::awaitable<std::span<const uint8_t>> next();

  // Payload bytes handed out so far.
  uint64_t size() const { return size_; }

  // The x-amz-checksum-* header the upload carried ("x-amz-checksum-sha256",
  // its base64 value), verified once next() returned the end; nullopt when
  // it carried none.
  const std::optional<std::pair<std::string, std::string>>& checksum_header() const { return checksum_header_; }

 private:
  void finish_checks();

  Exchange& ex_;
  const s3::VerifiedRequest& auth_;
  std::unique_ptr<s3::AwsChunkedDecoder> chunked_;  // for aws-chunked bodies
  std::optional<crypto::Sha256> sha256_;            // when the payload hash is signed
  std::optional<std::array<uint8_t, 16>> content_md5_;
  std::unique_ptr<crypto::Md5> md5_;             // when Content-MD5 was sent
  std::optional<s3::PayloadChecksum> checksum_;  // when an x-amz-checksum-* header was sent
  std::optional<std::pair<std::string, std::string>> checksum_header_;
  std::vector<uint8_t> decoded_;
  uint64_t size_ = 0;
  bool done_ = false;
};

}  // namespace haul::gateway
