#include "netem/loss.hpp"

namespace haul::netem {

BernoulliLoss::BernoulliLoss(double probability, uint64_t seed) : probability_(probability), rng_(seed) {}

bool BernoulliLoss::drop() {
  if (probability_ <= 0) return false;
  // 53 random bits -> uniform double in [0, 1).
  double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  return u < probability_;
}

}  // namespace haul::netem
