// libFuzzer target: arbitrary request lines and headers through SigV4
// verification. Input: "METHOD\nTARGET\nName: value\n...", then verified
// with AWS's example key at the example's time, shifted by the first byte.
// Contract: a VerifiedRequest or an ApiError, never another exception, a
// crash or an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "s3/api_error.hpp"
#include "s3/aws_chunked.hpp"
#include "s3/sigv4_verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haul::s3;
  static const S3Credentials keys = S3Credentials::parse(
      "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nAKIDFUZZ:fuzz-secret:bucket\n");
  if (size == 0) return 0;
  const int64_t now = 1369353600 + (static_cast<int64_t>(data[0]) - 128) * 10;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  IncomingRequest request;
  for (int line_no = 0; !text.empty(); ++line_no) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line_no == 0) {
      request.method = line;
    } else if (line_no == 1) {
      request.target = line;
    } else {
      size_t colon = line.find(':');
      request.headers.emplace_back(line.substr(0, colon),
                                   colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1));
    }
  }
  (void)auth_kind(request);
  try {
    VerifiedRequest verified = verify_sigv4(request, keys, now);
    if (verified.credential == nullptr) __builtin_trap();
    (void)aws_chunked_options(verified, request);
  } catch (const ApiError&) {
  }
  return 0;
}
