// libFuzzer target: arbitrary bytes through the XML reader and every S3
// response parser. Contract: a value or a haul::Error, never a crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "s3/responses.hpp"
#include "s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view doc(reinterpret_cast<const char*>(data), size);
  auto guarded = [&](auto&& fn) {
    try {
      fn();
    } catch (const haul::Error&) {
    }
  };
  guarded([&] { haul::s3::parse_xml(doc, [](const auto&, const auto&) {}); });
  guarded([&] { haul::s3::parse_list_parts(doc); });
  guarded([&] { haul::s3::parse_list_bucket_v2(doc); });
  guarded([&] { haul::s3::parse_initiate_multipart_upload(doc); });
  guarded([&] { haul::s3::parse_list_multipart_uploads(doc); });
  guarded([&] { haul::s3::parse_complete_multipart_upload(doc); });
  (void)haul::s3::parse_error(doc);
  (void)haul::s3::parse_iso8601(doc);
  return 0;
}
