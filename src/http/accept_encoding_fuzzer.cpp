// libFuzzer target for the Accept-Encoding parser: any bytes, no crash, and
// the answer does not depend on elements it cannot parse being appended.

#include <cstdint>
#include <string>
#include <string_view>

#include "http/accept_encoding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  const bool accepted = haul::http::accepts_gzip(value);
  // An element whose weight does not parse accepts nothing.
  if (haul::http::accepts_gzip(std::string(value) + ",gzip;q=x") != accepted) __builtin_trap();
  return 0;
}
