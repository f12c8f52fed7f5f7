#include "s3/aws_chunked.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "core/hex.hpp"
#include "http/ows.hpp"
#include "s3/api_error.hpp"

namespace haul::s3 {
namespace {

constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSignatureExt = ";chunk-signature=";
constexpr std::string_view kTrailerSignature = "x-amz-trailer-signature";

[[noreturn]] void incomplete(const std::string& why) {
  throw ApiError(400, "IncompleteBody", "The request body terminated unexpectedly: " + why);
}

[[noreturn]] void malformed_trailer(const std::string& why) {
  throw ApiError(400, "MalformedTrailerError",
                 "The request contained trailing data that was not well-formed or did not conform to our published "
                 "schema: " +
                     why);
}

// The hex chunk size: 1 to 16 hex digits, so it always fits in 64 bits.
uint64_t parse_size(std::string_view hex) {
  uint64_t size = 0;
  if (hex.empty() || hex.size() > 16) incomplete("bad chunk size");
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
  if (ec != std::errc() || end != hex.data() + hex.size()) incomplete("bad chunk size");
  return size;
}

}  // namespace

std::optional<AwsChunkedOptions> aws_chunked_options(const VerifiedRequest& verified, const IncomingRequest& request) {
  using P = VerifiedRequest::Payload;
  using M = AwsChunkedOptions::Mode;
  AwsChunkedOptions options;
  switch (verified.payload) {
    case P::streaming_signed: options.mode = M::signed_chunks; break;
    case P::streaming_signed_trailer: options.mode = M::signed_chunks_trailer; break;
    case P::streaming_unsigned_trailer: options.mode = M::unsigned_trailer; break;
    default: return std::nullopt;
  }
  options.signing = verified.chunks;
  if (const std::string* length = find_header(request, "x-amz-decoded-content-length")) {
    std::string_view text = http::trim_ows(*length);
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      throw ApiError(400, "InvalidArgument", "x-amz-decoded-content-length must be a number of bytes");
    }
    options.decoded_length = n;
  }
  if (const std::string* trailer = find_header(request, "x-amz-trailer"))
    options.trailer = std::string(http::trim_ows(*trailer));
  return options;
}

AwsChunkedDecoder::AwsChunkedDecoder(AwsChunkedOptions options) : options_(std::move(options)) {
  previous_signature_ = options_.signing.seed_signature;
  std::string trailer = ascii_lower(http::trim_ows(options_.trailer));
  if (options_.mode == AwsChunkedOptions::Mode::signed_chunks || trailer.empty()) return;
  options_.trailer = trailer;
  checksum_ = PayloadChecksum::for_name(trailer);
  if (!checksum_) {
    throw ApiError(400, "InvalidRequest",
                   "The x-amz-trailer names no checksum this gateway knows (crc32, crc32c, crc64nvme, sha1, sha256)");
  }
}

AwsChunkedDecoder::Step AwsChunkedDecoder::feed(std::span<const uint8_t> input) {
  if (state_ == State::failed) incomplete("the body was already rejected");
  try {
    return step(input);
  } catch (...) {
    state_ = State::failed;
    throw;
  }
}

void AwsChunkedDecoder::feed_all(std::span<const uint8_t> input, std::vector<uint8_t>& out) {
  while (!input.empty()) {
    Step s = feed(input);
    out.insert(out.end(), s.data.begin(), s.data.end());
    input = input.subspan(s.consumed);
  }
}

void AwsChunkedDecoder::finish() {
  if (state_ != State::done) {
    state_ = State::failed;
    incomplete("the body ended before the final chunk");
  }
}

AwsChunkedDecoder::Step AwsChunkedDecoder::step(std::span<const uint8_t> input) {
  size_t pos = 0;
  while (pos < input.size()) {
    switch (state_) {
      case State::data: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size() - pos));
        std::span<const uint8_t> data = input.subspan(pos, n);
        if (is_signed()) chunk_hash_.update(data);
        if (checksum_) checksum_->update(data);
        remaining_ -= n;
        total_ += n;
        if (remaining_ == 0) on_chunk_end();
        return {pos + n, data};
      }
      case State::data_crlf:
        if (input[pos++] != (crlf_seen_ == 0 ? uint8_t{'\r'} : uint8_t{'\n'}))
          incomplete("chunk data not followed by CRLF");
        if (++crlf_seen_ == 2) {
          crlf_seen_ = 0;
          if (final_chunk_) {
            state_ = State::done;
            if (options_.decoded_length && *options_.decoded_length != total_) incomplete("decoded length mismatch");
          } else {
            state_ = State::size_line;
          }
        }
        break;
      case State::size_line:
        if (take_line(input, pos)) on_size_line();
        break;
      case State::trailer_line:
        if (take_line(input, pos)) on_trailer_line();
        break;
      case State::done: incomplete("data after the end of the aws-chunked body");
      case State::failed: incomplete("the body was already rejected");
    }
  }
  return {pos, {}};
}

bool AwsChunkedDecoder::take_line(std::span<const uint8_t> input, size_t& pos) {
  while (pos < input.size()) {
    char c = static_cast<char>(input[pos++]);
    if (c == '\n') {
      if (line_.empty() || line_.back() != '\r') incomplete("a line not ended by CRLF");
      line_.pop_back();
      return true;
    }
    if (line_.size() > kMaxChunkedLineBytes) incomplete("a chunk-size or trailer line over 4 KiB");
    line_.push_back(c);
  }
  return false;
}

void AwsChunkedDecoder::on_size_line() {
  std::string_view line = line_;
  std::string_view hex = line.substr(0, line.find(';'));
  remaining_ = parse_size(hex);
  if (is_signed()) {
    std::string_view ext = line.substr(hex.size());
    if (!ext.starts_with(kSignatureExt) || ext.size() != kSignatureExt.size() + 64) incomplete("bad chunk signature");
    chunk_signature_ = std::string(ext.substr(kSignatureExt.size()));
  } else if (hex.size() != line.size()) {
    incomplete("an unsigned chunk with an extension");
  }
  if (options_.decoded_length && remaining_ > *options_.decoded_length - total_) {
    incomplete("more data than x-amz-decoded-content-length");
  }
  line_.clear();
  final_chunk_ = remaining_ == 0;
  state_ = State::data;
  if (final_chunk_) on_chunk_end();
}

void AwsChunkedDecoder::on_chunk_end() {
  if (is_signed()) {
    const ChunkSigningContext& s = options_.signing;
    std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + s.amz_date + "\n" + s.scope + "\n" + previous_signature_ +
                          "\n" + std::string(kEmptySha256) + "\n" + chunk_hash_.hex_digest();
    if (!signature_matches(sign_with_key(s.signing_key, to_sign), chunk_signature_)) {
      throw ApiError(403, "SignatureDoesNotMatch",
                     "The request signature we calculated does not match the signature you provided (chunk " +
                         std::to_string(total_) + " bytes in)");
    }
    previous_signature_ = chunk_signature_;
  }
  bool trailers = options_.mode != AwsChunkedOptions::Mode::signed_chunks;
  if (final_chunk_ && trailers) {
    if (options_.decoded_length && *options_.decoded_length != total_) incomplete("decoded length mismatch");
    state_ = State::trailer_line;
  } else {
    state_ = State::data_crlf;
  }
}

void AwsChunkedDecoder::on_trailer_line() {
  std::string line = std::move(line_);
  line_.clear();
  bool first = first_trailer_line_;
  first_trailer_line_ = false;
  if (line.empty()) {
    // One empty line may separate the last chunk from trailers that must follow.
    bool expecting = !options_.trailer.empty() || options_.mode == AwsChunkedOptions::Mode::signed_chunks_trailer;
    if (first && expecting) return;
    on_trailers_end();
    return;
  }
  if (!trailer_signature_.empty()) malformed_trailer("a trailer after x-amz-trailer-signature");
  size_t colon = line.find(':');
  if (colon == std::string::npos) malformed_trailer("a trailer line without ':'");
  std::string name = ascii_lower(http::trim_ows(std::string_view(line).substr(0, colon)));
  std::string value(http::trim_ows(std::string_view(line).substr(colon + 1)));
  if (name.empty()) malformed_trailer("a trailer without a name");
  if (name == kTrailerSignature && is_signed()) {
    if (value.empty()) malformed_trailer("an empty trailer signature");
    trailer_signature_ = value;
    return;
  }
  if (trailers_.size() == kMaxTrailers) malformed_trailer("too many trailers");
  canonical_trailers_ += name + ":" + value + "\n";
  trailers_.emplace_back(std::move(name), std::move(value));
}

void AwsChunkedDecoder::on_trailers_end() {
  if (options_.mode == AwsChunkedOptions::Mode::signed_chunks_trailer) {
    if (trailer_signature_.empty()) malformed_trailer("x-amz-trailer-signature missing");
    const ChunkSigningContext& s = options_.signing;
    std::string to_sign = "AWS4-HMAC-SHA256-TRAILER\n" + s.amz_date + "\n" + s.scope + "\n" + previous_signature_ +
                          "\n" + crypto::sha256_hex(canonical_trailers_);
    if (!signature_matches(sign_with_key(s.signing_key, to_sign), trailer_signature_)) {
      throw ApiError(403, "SignatureDoesNotMatch",
                     "The request signature we calculated does not match the signature you provided (trailer)");
    }
  }
  if (checksum_) {
    auto it =
        std::find_if(trailers_.begin(), trailers_.end(), [&](const auto& t) { return t.first == options_.trailer; });
    if (it == trailers_.end()) malformed_trailer(options_.trailer + " missing");
    if (it->second != checksum_->base64()) {
      throw ApiError(400, "BadDigest",
                     "The " + options_.trailer.substr(15) + " you specified did not match the calculated checksum.");
    }
  }
  state_ = State::done;
}

}  // namespace haul::s3
