#pragma once
// Stripes: a small object cut into K pieces that a cold client sends all at
// once, each over its own fresh connection, so the whole object leaves in the
// first flight of K initial windows instead of the several round trips of
// slow start on one connection (docs/api.md "Stripes"). Client and gateway
// derive the same layout from (size, count), so a request names only those.
//
// Every stripe but the last holds stripe_size bytes; stripe_size is
// ceil(size / count) rounded up to 1 KiB (the format's smallest segment), and
// the gateway seals each stripe as exactly one segment of that size.

#include <cstdint>

namespace haul {

inline constexpr uint32_t kMinStripes = 2;
inline constexpr uint32_t kMaxStripes = 128;
inline constexpr uint64_t kStripeGranule = 1024;
// Stripes exist for objects a cold connection cannot send in one or two
// flights; beyond this the parts API's round trips are noise.
inline constexpr uint64_t kMaxStripedSize = 16ull << 20;

struct StripeLayout {
  uint64_t size = 0;         // plaintext bytes of the whole object
  uint32_t count = 0;        // stripes
  uint64_t stripe_size = 0;  // plaintext bytes of each stripe but the last

  uint64_t offset(uint32_t index) const { return uint64_t{index} * stripe_size; }
  uint64_t length(uint32_t index) const { return index + 1 < count ? stripe_size : size - offset(index); }
};

// ceil(size / count) rounded up to kStripeGranule; no checks (count > 0).
uint64_t stripe_size_for(uint64_t size, uint32_t count);

// Throws Error(bad_request) with the reason unless count is in
// [kMinStripes, kMaxStripes], size in [1, kMaxStripedSize] and every stripe
// holds at least one byte.
StripeLayout stripe_layout(uint64_t size, uint32_t count);

}  // namespace haul
