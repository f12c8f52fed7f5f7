#pragma once
// Tests only: n bytes of a seeded xorshift pattern, the same for the same
// seed, different for different seeds, and incompressible (a stored or
// sent copy cannot pass by accident).

#include <cstddef>
#include <cstdint>

namespace haul::testing {

template <typename Bytes>
Bytes pattern(size_t n, uint32_t seed) {
  Bytes out(n, 0);
  uint32_t x = 2463534242u + seed;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<typename Bytes::value_type>(x);
  }
  return out;
}

}  // namespace haul::testing
