#include "core/stripes.hpp"

#include <string>

#include "core/error.hpp"

namespace haul {

uint64_t stripe_size_for(uint64_t size, uint32_t count) {
  const uint64_t per = (size + count - 1) / count;
  return (per + kStripeGranule - 1) / kStripeGranule * kStripeGranule;
}

StripeLayout stripe_layout(uint64_t size, uint32_t count) {
  if (count < kMinStripes || count > kMaxStripes) {
    throw Error(ErrorKind::bad_request, "stripes must be " + std::to_string(kMinStripes) + ".." +
                                            std::to_string(kMaxStripes) + ", got " + std::to_string(count));
  }
  if (size == 0 || size > kMaxStripedSize) {
    throw Error(ErrorKind::bad_request,
                "a striped object holds 1.." + std::to_string(kMaxStripedSize) + " bytes, got " + std::to_string(size));
  }
  const uint64_t stripe_size = stripe_size_for(size, count);
  if (uint64_t{count - 1} * stripe_size >= size) {
    throw Error(ErrorKind::bad_request, std::to_string(count) + " stripes of " + std::to_string(stripe_size) +
                                            " bytes leave the last one empty for " + std::to_string(size) + " bytes");
  }
  return StripeLayout{size, count, stripe_size};
}

}  // namespace haul
