// libFuzzer target: arbitrary bytes through the three parsers of S3 request
// bodies (s3/server_xml.hpp). Contract: a value or an ApiError (MalformedXML),
// never a crash, a hang or any other exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "s3/api_error.hpp"
#include "s3/server_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto guarded = [&](auto&& fn) {
    try {
      fn();
    } catch (const haul::s3::ApiError& e) {
      if (e.status() != 400 || e.code() != "MalformedXML") std::abort();
    }
  };
  guarded([&] { (void)haul::s3::parse_create_bucket_configuration(body); });
  guarded([&] { (void)haul::s3::parse_delete_request(body); });
  guarded([&] { (void)haul::s3::parse_complete_multipart_upload_request(body); });
  return 0;
}
