#pragma once
// Seeded Bernoulli loss: each call to drop() is an independent trial with
// probability p. std::mt19937_64 is fully specified by the standard, and the
// uniform draw is computed here (not by a library distribution), so a seed
// gives the same drops on every platform.

#include <cstdint>
#include <random>

namespace haul::netem {

class BernoulliLoss {
 public:
  BernoulliLoss(double probability, uint64_t seed);

  // True when this packet is lost.
  bool drop();

 private:
  double probability_;
  std::mt19937_64 rng_;
};

}  // namespace haul::netem
