#include "netem/host_cc.hpp"

#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "netem/sys_util.hpp"

namespace haul::netem {

namespace {
const char* const allowed_path = "/proc/sys/net/ipv4/tcp_allowed_congestion_control";
const char* const available_path = "/proc/sys/net/ipv4/tcp_available_congestion_control";

bool lists(const std::string& list, const std::string& name) {
  std::istringstream in(list);
  std::string word;
  while (in >> word)
    if (word == name) return true;
  return false;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

AllowedCongestionControl::AllowedCongestionControl(const std::string& name) {
  previous_ = trimmed(read_small_file(allowed_path));
  if (lists(previous_, name)) return;
  // Writing the allowed list loads the module if the kernel has it as one.
  try {
    write_small_file(allowed_path, previous_ + " " + name);
  } catch (const Error&) {
    throw Error(ErrorKind::config, "congestion control '" + name + "' is not available in this kernel (available: " +
                                       trimmed(read_small_file(available_path)) + ")");
  }
  changed_ = true;
  std::fprintf(stderr, "netem: added %s to host net.ipv4.tcp_allowed_congestion_control for this run\n", name.c_str());
}

AllowedCongestionControl::~AllowedCongestionControl() {
  if (!changed_) return;
  try {
    write_small_file(allowed_path, previous_);
  } catch (const Error& e) {
    std::fprintf(stderr, "netem: could not restore tcp_allowed_congestion_control: %s\n", e.what());
  }
}

}  // namespace haul::netem
