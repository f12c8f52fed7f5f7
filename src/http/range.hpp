#pragma once
// Range request header parsing (RFC 9110 section 14), sans-IO.
//
// The gateway calls parse_range() with the Range header value and the object's
// plaintext size, then answers by kind:
//   full          -> 200 with the whole object (no Range, or several ranges)
//   partial       -> 206 with Content-Range: content_range(range, size)
//   unsatisfiable -> 416 with Content-Range: unsatisfied_content_range(size)
//   malformed     -> 400 (Range garbage is a client bug worth telling about)

#include <cstdint>
#include <string>
#include <string_view>

namespace haul::http {

struct ByteRange {
  uint64_t first;  // inclusive
  uint64_t last;   // inclusive, first <= last < size
  uint64_t length() const { return last - first + 1; }
};

struct RangeRequest {
  enum class Kind { full, partial, unsatisfiable, malformed } kind;
  ByteRange range{};  // valid when kind == partial
};

// value: the Range header's value (empty when the header is absent => full).
// Accepted forms: "bytes=a-b", "bytes=a-", "bytes=-n" (suffix). The unit is
// case-insensitive; optional whitespace is tolerated around the value, around
// '=' and ',' and around the '-' of a range-spec (never inside a number).
//   a > last byte, or size == 0 with a non-suffix range, or "-0"  => unsatisfiable
//   b >= size clamps to size-1
//   "-n" with n >= size => the whole object as partial {0, size-1} (RFC: 206 of all)
//   "-n" on an empty object => unsatisfiable
//   several ranges ("0-1,5-6"), all well-formed => full (RFC 9110 lets a server
//     ignore Range; we do not serve multipart/byteranges). Empty list elements
//     ("bytes=0-1,") are ignored as RFC 9110 section 5.6.1 asks.
//   garbage, other units, b < a, numbers overflowing uint64 => malformed
RangeRequest parse_range(std::string_view value, uint64_t size);

// "bytes a-b/size" for a 206 response.
std::string content_range(const ByteRange& r, uint64_t size);
// "bytes */size" for a 416 response.
std::string unsatisfied_content_range(uint64_t size);

}  // namespace haul::http
