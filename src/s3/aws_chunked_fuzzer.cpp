// libFuzzer target: arbitrary bytes through the aws-chunked decoder in
// arbitrary splits. The first byte picks the mode, the checksum trailer and
// whether x-amz-decoded-content-length is known; the next two seed the
// split sizes. Every piece is copied into a buffer of exactly its size so
// ASan catches any read past it. Signed modes use AWS's example key and
// seed, so the seed corpus' signed bodies decode. Contract: payload or an
// ApiError, never another exception or a crash; the payload never exceeds
// the input and matches the declared length when done.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "s3/api_error.hpp"
#include "s3/aws_chunked.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haul::s3;
  using Mode = AwsChunkedOptions::Mode;
  if (size < 3) return 0;
  static const haul::crypto::Digest key =
      signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
  static constexpr std::array<std::string_view, 5> kTrailers = {"", "x-amz-checksum-crc32", "x-amz-checksum-crc32c",
                                                                "x-amz-checksum-sha256", "x-amz-checksum-crc64nvme"};
  const uint8_t config = data[0];
  uint32_t rng = (static_cast<uint32_t>(data[1]) << 8 | data[2]) + 1;
  std::span<const uint8_t> body(data + 3, size - 3);

  AwsChunkedOptions options;
  options.mode = config % 3 == 0   ? Mode::signed_chunks
                 : config % 3 == 1 ? Mode::signed_chunks_trailer
                                   : Mode::unsigned_trailer;
  options.signing = {key, "20130524/us-east-1/s3/aws4_request", "20130524T000000Z",
                     "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"};
  options.trailer = kTrailers[(config / 3) % kTrailers.size()];
  if ((config & 0x80) != 0) options.decoded_length = body.size() / 2;
  try {
    AwsChunkedDecoder decoder(options);
    size_t produced = 0;
    while (!body.empty()) {
      rng = rng * 1103515245 + 12345;
      size_t piece = std::min<size_t>(body.size(), 1 + (rng >> 16) % 97);
      std::vector<uint8_t> copy(body.begin(), body.begin() + static_cast<ptrdiff_t>(piece));
      std::span<const uint8_t> rest(copy);
      while (!rest.empty()) {
        AwsChunkedDecoder::Step step = decoder.feed(rest);
        if (step.consumed == 0 || step.consumed > rest.size()) __builtin_trap();
        if (!step.data.empty() &&
            (step.data.data() < rest.data() || step.data.data() + step.data.size() > rest.data() + step.consumed)) {
          __builtin_trap();
        }
        produced += step.data.size();
        rest = rest.subspan(step.consumed);
      }
      body = body.subspan(piece);
    }
    decoder.finish();
    if (produced != decoder.decoded_size() || produced > size) __builtin_trap();
    if (options.decoded_length && produced != *options.decoded_length) __builtin_trap();
  } catch (const ApiError&) {
  }
  return 0;
}
