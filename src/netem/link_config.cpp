#include "netem/link_config.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace haul::netem {

uint64_t default_queue_bytes(uint64_t rate_bps, Duration one_way_delay) {
  if (rate_bps == 0) return 0;
  long double rtt_s = 2.0L * static_cast<long double>(one_way_delay.count()) / 1e9L;
  long double bdp = static_cast<long double>(rate_bps) * rtt_s / 8.0L;
  return std::max<uint64_t>(static_cast<uint64_t>(bdp), min_default_queue_bytes);
}

uint64_t effective_queue_bytes(const LinkConfig& config) {
  return config.queue_bytes != 0 ? config.queue_bytes : default_queue_bytes(config.rate_bps, config.delay);
}

void validate(const LinkConfig& config) {
  if (config.delay.count() < 0) throw Error(ErrorKind::config, "netem: delay must not be negative");
  if (config.delay > std::chrono::seconds(60)) throw Error(ErrorKind::config, "netem: delay over 60 s");
  if (!(config.loss >= 0.0 && config.loss < 1.0))
    throw Error(ErrorKind::config, "netem: loss must be in [0, 1), got " + std::to_string(config.loss));
  if (config.rate_bps != 0 && config.rate_bps < 8000)
    throw Error(ErrorKind::config, "netem: rate below 8 kbit/s is not supported");
}

}  // namespace haul::netem
