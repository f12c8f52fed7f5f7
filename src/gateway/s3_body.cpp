#include "gateway/s3_body.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/md5.hpp"
#include "http/ows.hpp"
#include "s3/api_error.hpp"
#include "s3/aws_chunked.hpp"

namespace haul::gateway {

namespace {

using Payload = s3::VerifiedRequest::Payload;

bool streaming(Payload p) {
  return p == Payload::streaming_signed || p == Payload::streaming_signed_trailer ||
         p == Payload::streaming_unsigned_trailer;
}

// Content-MD5: the base64 of 16 bytes, or 400 InvalidDigest.
std::array<uint8_t, 16> decode_content_md5(const std::string& text) {
  std::array<uint8_t, 16> digest{};
  // 16 bytes are 24 base64 characters, the last two "==".
  if (text.size() != 24 || text.substr(22) != "==") {
    throw s3::ApiError(400, "InvalidDigest", "Content-MD5 must be the base64 of a 16-byte MD5");
  }
  std::array<uint8_t, 18> out{};
  if (EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), 24) != 18) {
    throw s3::ApiError(400, "InvalidDigest", "Content-MD5 must be the base64 of a 16-byte MD5");
  }
  std::copy_n(out.begin(), 16, digest.begin());
  return digest;
}

bool has_aws_chunked_encoding(const std::string& content_encoding) {
  // "aws-chunked" alone, or first in a list ("aws-chunked,gzip").
  return content_encoding == "aws-chunked" || content_encoding.starts_with("aws-chunked,");
}

}  // namespace

S3Body::S3Body(Exchange& ex, const s3::VerifiedRequest& auth) : ex_(ex), auth_(auth) {
  const Request& request = ex.request();
  if (!request.content_length && !request.chunked) {
    throw s3::ApiError(411, "MissingContentLength", "an upload needs a Content-Length");
  }
  if (const std::string md5 = request.header("content-md5"); !md5.empty()) {
    content_md5_ = decode_content_md5(md5);
    md5_ = std::make_unique<crypto::Md5>();
  }
  if (streaming(auth.payload)) {
    const s3::IncomingRequest incoming{request.method, request.target, request.all_headers()};
    auto options = s3::aws_chunked_options(auth, incoming);
    if (!options) throw s3::ApiError(400, "InvalidRequest", "a STREAMING-* payload needs an aws-chunked body");
    chunked_ = std::make_unique<s3::AwsChunkedDecoder>(std::move(*options));
  } else if (has_aws_chunked_encoding(request.header("content-encoding")) &&
             request.header("x-amz-decoded-content-length").size() > 0) {
    throw s3::ApiError(400, "InvalidRequest", "an aws-chunked body needs a STREAMING-* x-amz-content-sha256");
  }
  if (auth.payload == Payload::sha256) sha256_.emplace();
  for (const auto& [name, value] : request.all_headers()) {
    auto checksum = s3::PayloadChecksum::for_name(name);
    if (!checksum) continue;  // x-amz-checksum-mode, -type, -algorithm: no value to check
    if (checksum_) throw s3::ApiError(400, "InvalidRequest", "Expecting a single x-amz-checksum- header");
    checksum_ = std::move(checksum);
    checksum_header_.emplace(checksum_->name(), std::string(http::trim_ows(value)));
  }
}

S3Body::~S3Body() = default;

asio::awaitable<std::span<const uint8_t>> S3Body::next() {
  for (;;) {
    if (done_) co_return std::span<const uint8_t>();
    std::span<const uint8_t> raw;
    try {
      raw = co_await ex_.read_body();
    } catch (const Error& e) {
      // The client stopped short of its Content-Length (or stalled).
      if (e.kind() != ErrorKind::bad_request) throw;
      throw s3::ApiError(400, "IncompleteBody", std::string(e.public_message()));
    }
    if (raw.empty()) {
      if (chunked_) chunked_->finish();
      finish_checks();
      done_ = true;
      co_return std::span<const uint8_t>();
    }
    std::span<const uint8_t> payload = raw;
    if (chunked_) {
      decoded_.clear();
      chunked_->feed_all(raw, decoded_);
      payload = decoded_;
    }
    if (payload.empty()) continue;  // framing only
    if (sha256_) sha256_->update(payload);
    if (md5_) md5_->update(payload);
    if (checksum_) checksum_->update(payload);
    size_ += payload.size();
    co_return payload;
  }
}

void S3Body::finish_checks() {
  if (sha256_ && to_hex(sha256_->finish()) != auth_.payload_sha256) {
    throw s3::ApiError(400, "XAmzContentSHA256Mismatch",
                       "the body's SHA-256 is not the x-amz-content-sha256 it was signed with");
  }
  if (md5_ && md5_->finish() != *content_md5_) {
    throw s3::ApiError(400, "BadDigest", "the body's MD5 is not the Content-MD5 sent with it");
  }
  if (checksum_ && checksum_->base64() != checksum_header_->second) {
    throw s3::ApiError(400, "BadDigest",
                       "The " + checksum_->algorithm() + " you specified did not match the calculated checksum.");
  }
}

}  // namespace haul::gateway
