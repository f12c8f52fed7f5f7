#include "client/plan.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "client/config.hpp"

namespace haul::client {

std::vector<Span> plan_spans(uint64_t size, uint64_t part_size) {
  std::vector<Span> spans;
  if (size == 0) {
    spans.push_back(Span{1, 0, 0});
    return spans;
  }
  uint64_t count = (size + part_size - 1) / part_size;
  spans.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t offset = i * part_size;
    uint64_t length = std::min(part_size, size - offset);
    spans.push_back(Span{static_cast<uint32_t>(i + 1), offset, length});
  }
  return spans;
}

bool use_parts(uint64_t size, uint64_t part_size) {
  return part_size > 0 && size >= 2 * part_size;
}

uint64_t spread_part_size(uint64_t size, unsigned connections) {
  if (connections == 0) connections = 1;
  uint64_t per = (size + connections - 1) / connections;
  uint64_t rounded = (per + segment_size - 1) / segment_size * segment_size;
  return rounded == 0 ? segment_size : rounded;
}

uint64_t balanced_part_size(uint64_t size, uint64_t part_size, unsigned connections) {
  if (connections <= 1 || size == 0 || part_size == 0) return part_size;
  const uint64_t count = (size + part_size - 1) / part_size;
  const uint64_t rounds = (count + connections - 1) / connections;
  const uint64_t balanced_count = rounds * connections;
  if (balanced_count > kMaxUploadParts) return part_size;
  const uint64_t per = (size + balanced_count - 1) / balanced_count;
  const uint64_t rounded = (per + segment_size - 1) / segment_size * segment_size;
  const uint64_t start = std::min(part_size, std::max(rounded, segment_size));
  // Rounding up to whole segments can take a part or two off the count: a
  // few segments less per part find a full count again.
  for (uint64_t p = start, steps = 0; p >= segment_size && steps < 64; p -= segment_size, ++steps) {
    const uint64_t n = (size + p - 1) / p;
    if (n > kMaxUploadParts) break;
    if (n % connections == 0) return p;
  }
  return start;
}

namespace {

bool parse_u64(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::optional<ContentRange> parse_content_range(std::string_view v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\r' || v.back() == '\n')) v.remove_suffix(1);
  constexpr std::string_view prefix = "bytes ";
  if (v.substr(0, prefix.size()) != prefix) return std::nullopt;
  v.remove_prefix(prefix.size());
  auto slash = v.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  ContentRange cr;
  if (!parse_u64(v.substr(slash + 1), cr.total)) return std::nullopt;
  auto range = v.substr(0, slash);
  if (range == "*") return cr;
  auto dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  uint64_t first = 0, last = 0;
  if (!parse_u64(range.substr(0, dash), first) || !parse_u64(range.substr(dash + 1), last)) return std::nullopt;
  if (first > last || last >= cr.total) return std::nullopt;
  cr.first = first;
  cr.last = last;
  return cr;
}

std::string range_header_value(const Span& span) {
  return "bytes=" + std::to_string(span.offset) + "-" + std::to_string(span.offset + span.length - 1);
}

std::optional<StripeLayout> plan_stripes(uint64_t size, unsigned max_stripes, uint64_t target) {
  if (max_stripes < kMinStripes || size < 2 * target || size > kMaxStripedSize) return std::nullopt;
  auto count =
      static_cast<uint32_t>(std::min<uint64_t>(std::min(max_stripes, kMaxStripes), (size + target - 1) / target));
  // Rounding stripes up to 1 KiB can leave the last one empty: one fewer then.
  for (; count >= kMinStripes; --count) {
    if (uint64_t{count - 1} * stripe_size_for(size, count) < size) return stripe_layout(size, count);
  }
  return std::nullopt;
}

unsigned cold_request_limit(unsigned cold_stripes, uint64_t cold_flight, uint64_t target) {
  const uint64_t limit = std::min<uint64_t>(cold_stripes, cold_flight / target);
  return limit < kMinStripes ? 0 : static_cast<unsigned>(limit);
}

std::optional<ColdRanges> plan_cold_ranges(unsigned max_stripes, uint64_t target, unsigned rest_connections) {
  if (max_stripes < kMinStripes) return std::nullopt;
  return ColdRanges{std::min(max_stripes, kMaxStripes), target, std::max(rest_connections, 1u)};
}

}  // namespace haul::client
