#pragma once
// A namespace may select a congestion control only if the host's
// net.ipv4.tcp_allowed_congestion_control lists it. This guard adds one for
// the lifetime of a run and restores the previous list afterwards.

#include <string>

namespace haul::netem {

class AllowedCongestionControl {
 public:
  // Adds `name` to the host's allowed list if missing. Throws Error(config)
  // when the kernel does not offer it at all.
  explicit AllowedCongestionControl(const std::string& name);
  ~AllowedCongestionControl();  // restores the list it changed
  AllowedCongestionControl(const AllowedCongestionControl&) = delete;
  AllowedCongestionControl& operator=(const AllowedCongestionControl&) = delete;

 private:
  std::string previous_;
  bool changed_ = false;
};

}  // namespace haul::netem
