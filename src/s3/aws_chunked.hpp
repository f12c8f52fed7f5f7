#pragma once
// Decoder for `Content-Encoding: aws-chunked` request bodies, sans-IO: feed
// bytes split anywhere (one at a time works), get the payload back as
// sub-spans of the input, call finish() when the body ends.
//
// Wire format (sigv4-streaming.html, sigv4-streaming-trailers.html):
//   signed:    hex-size;chunk-signature=SIG\r\n DATA \r\n ... 0;chunk-signature=SIG\r\n \r\n
//   + trailer: ... 0;chunk-signature=SIG\r\n  name:value\r\n ... x-amz-trailer-signature:SIG\r\n \r\n
//   unsigned:  hex-size\r\n DATA \r\n ... 0\r\n  name:value\r\n ... \r\n
// (one optional empty line between the last chunk and the trailers is
// accepted too: AWS's own trailer example has one.)
//
// Chunk n's signature is HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD\n" date
// "\n" scope "\n" signature(n-1) "\n" sha256("") "\n" sha256(data n)),
// chained from the request's seed signature; the trailer signature is
// HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" date "\n" scope "\n" last chunk
// signature "\n" sha256("name:value\n"...)). The checksum trailer named by
// x-amz-trailer (crc32, crc32c or sha256) is checked against the payload.
//
// Trust: payload bytes come out as they arrive, before their chunk's
// signature (which follows them) is checked. Nothing is authenticated until
// finish() returns: the caller must not commit the object before.
//
// Errors (ApiError), with S3's codes (S3 answers every framing error with
// IncompleteBody, "The request body terminated unexpectedly"):
//   400 IncompleteBody         bad framing, a line over 4 KiB, a size over 16 hex
//                              digits, bytes after the end, a body ending early
//                              (finish()), decoded length != x-amz-decoded-content-length
//   403 SignatureDoesNotMatch  a chunk or trailer signature does not verify
//   400 MalformedTrailerError  a trailer line without ':', too many trailers, the
//                              declared checksum trailer missing, the trailer signature
//                              missing or not last (signed trailer mode)
//   400 BadDigest              the checksum trailer does not match the payload
//   400 InvalidRequest         x-amz-trailer names no x-amz-checksum-* (PayloadChecksum)
// After a throw the decoder is spent: every later call throws IncompleteBody.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "crypto/sha256.hpp"
#include "s3/payload_checksum.hpp"
#include "s3/sigv4_verify.hpp"

namespace haul::s3 {

inline constexpr size_t kMaxChunkedLineBytes = 4096;  // a size line or a trailer line, without CRLF
inline constexpr size_t kMaxTrailers = 16;

struct AwsChunkedOptions {
  enum class Mode { signed_chunks, signed_chunks_trailer, unsigned_trailer };
  Mode mode = Mode::signed_chunks;
  ChunkSigningContext signing;             // for the two signed modes
  std::optional<uint64_t> decoded_length;  // x-amz-decoded-content-length, when sent
  std::string trailer;                     // x-amz-trailer, "" when absent
};

// Options for a verified streaming request: the mode from its payload kind,
// the length and trailer from its headers. nullopt when the payload is not
// aws-chunked. A malformed x-amz-decoded-content-length is 400 InvalidArgument.
std::optional<AwsChunkedOptions> aws_chunked_options(const VerifiedRequest& verified, const IncomingRequest& request);

class AwsChunkedDecoder {
 public:
  // Throws 400 InvalidRequest when options.trailer names a checksum not supported.
  explicit AwsChunkedDecoder(AwsChunkedOptions options);

  struct Step {
    size_t consumed;                // bytes of input used: > 0 for a non-empty input
    std::span<const uint8_t> data;  // payload decoded by this step: points into input
  };
  // Decodes from the front of `input` up to the end of the next run of
  // payload bytes (or the whole input); call again with the rest.
  Step feed(std::span<const uint8_t> input);
  // Feeds all of `input`, appending the payload to `out`.
  void feed_all(std::span<const uint8_t> input, std::vector<uint8_t>& out);
  // The body ended: throws unless the final chunk (and trailers) arrived.
  void finish();

  bool done() const { return state_ == State::done; }
  uint64_t decoded_size() const { return total_; }
  // Trailer lines as received (name lower-cased, value trimmed), without
  // x-amz-trailer-signature.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }

 private:
  enum class State { size_line, data, data_crlf, trailer_line, done, failed };

  Step step(std::span<const uint8_t> input);
  // Appends to line_ up to CRLF; true when a whole line is in line_.
  bool take_line(std::span<const uint8_t> input, size_t& pos);
  void on_size_line();
  void on_chunk_end();
  void on_trailer_line();
  void on_trailers_end();
  bool is_signed() const { return options_.mode != AwsChunkedOptions::Mode::unsigned_trailer; }

  AwsChunkedOptions options_;
  State state_ = State::size_line;
  std::string line_;
  uint64_t remaining_ = 0;  // payload bytes left in the current chunk
  uint64_t total_ = 0;
  int crlf_seen_ = 0;  // of the "\r\n" after a chunk's data
  bool final_chunk_ = false;
  bool first_trailer_line_ = true;
  std::string chunk_signature_;     // presented for the current chunk
  std::string previous_signature_;  // the chain so far
  crypto::Sha256 chunk_hash_;
  std::optional<PayloadChecksum> checksum_;  // the trailer's, when one is declared
  std::vector<std::pair<std::string, std::string>> trailers_;
  std::string canonical_trailers_;  // "name:value\n" per trailer, for the trailer signature
  std::string trailer_signature_;
};

}  // namespace haul::s3
