// libFuzzer target for the Range parser.
// Input: the first 8 bytes (little endian, zero-padded) are the object size,
// the rest is the Range header value. Checks the result's invariants.

#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t object_size = 0;
  size_t n = std::min<size_t>(size, 8);
  for (size_t i = 0; i < n; ++i) object_size |= uint64_t{data[i]} << (8 * i);
  // Small sizes are the interesting ones; keep them common.
  if (size > 0 && (data[0] & 0x80) == 0) object_size &= 0xffff;
  std::string_view value(reinterpret_cast<const char*>(data + n), size - n);

  using Kind = haul::http::RangeRequest::Kind;
  haul::http::RangeRequest r = haul::http::parse_range(value, object_size);
  switch (r.kind) {
    case Kind::partial:
      if (r.range.first > r.range.last || r.range.last >= object_size) __builtin_trap();
      if (haul::http::content_range(r.range, object_size).empty()) __builtin_trap();
      break;
    case Kind::unsatisfiable:
      if (haul::http::unsatisfied_content_range(object_size).empty()) __builtin_trap();
      break;
    case Kind::full:
    case Kind::malformed: break;
  }
  return 0;
}
