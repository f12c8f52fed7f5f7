#include "net/send_buffer.hpp"

#include <algorithm>

namespace haul::net {

uint64_t send_buffer_request(uint64_t want_effective, const SendBufferLimits& limits) {
  uint64_t want = want_effective / 2;  // the kernel doubles SO_SNDBUF for its bookkeeping
  if (want_effective <= limits.autotune_max) return 0;
  if (limits.may_force) return want;
  uint64_t capped = std::min(want, limits.wmem_max);
  return capped * 2 > limits.autotune_max ? capped : 0;
}

}  // namespace haul::net
