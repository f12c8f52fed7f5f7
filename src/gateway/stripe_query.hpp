#pragma once
// The query of a stripe request (sans-IO):
//   ?upload=U&stripe=i&stripes=K&size=N&sha256=H   (docs/api.md "Stripes")

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "core/stripes.hpp"

namespace haul::gateway {

struct StripeQuery {
  std::string upload;   // 8..64 of [A-Za-z0-9_-]
  uint32_t stripe = 0;  // < layout.count
  StripeLayout layout;
  std::string sha256_hex;  // lower-case
  std::array<uint8_t, 32> sha256{};
};

// Throws Error(bad_request) naming the parameter that is missing or wrong.
StripeQuery parse_stripe_query(const std::map<std::string, std::string>& query);

}  // namespace haul::gateway
