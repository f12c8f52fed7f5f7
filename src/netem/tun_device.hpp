#pragma once
// A TUN device (layer 3, no packet-info header) owned through its file
// descriptor: closing the fd removes the device, wherever it has moved.
// Created in the caller's network namespace; `ip link set NAME netns NS`
// can move it afterwards and the fd keeps working.

#include <string>

namespace haul::netem {

class TunDevice {
 public:
  // Creates device `name` (at most 15 chars). Throws Error(io).
  explicit TunDevice(const std::string& name);
  ~TunDevice();
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int fd_ = -1;
};

}  // namespace haul::netem
