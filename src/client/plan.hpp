#pragma once
// Sans-IO planning of parallel transfers: how an object of N bytes is cut
// into parts (uploads) or ranges (downloads), and when cutting is worth it.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace haul::client {

struct Span {
  uint32_t number = 0;  // 1-based part number (the parts API numbers from 1)
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Parts [(n-1)*P, min(n*P, size)), n = 1..ceil(size/P); one empty span for
// size 0 so a zero-byte object is still one request. part_size > 0.
std::vector<Span> plan_spans(uint64_t size, uint64_t part_size);

// Parts API only when the object has at least two full parts: below that the
// create and complete round trips cost more than parallelism gains.
bool use_parts(uint64_t size, uint64_t part_size);

// Part size that spreads size over `connections` parts, rounded up to a
// multiple of the 64 KiB segment (bench --mode pool).
uint64_t spread_part_size(uint64_t size, unsigned connections);

// Parses "bytes a-b/total" (Content-Range of a 206) or "bytes */total" (416).
struct ContentRange {
  std::optional<uint64_t> first, last;  // absent for "*/total"
  uint64_t total = 0;
};
std::optional<ContentRange> parse_content_range(std::string_view value);

// "bytes=a-b" for a span (length > 0).
std::string range_header_value(const Span& span);

}  // namespace haul::client
