#include "netem/tun_device.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

#include "core/error.hpp"
#include "netem/sys_util.hpp"

namespace haul::netem {

TunDevice::TunDevice(const std::string& name) : name_(name) {
  if (name.empty() || name.size() >= IFNAMSIZ) throw Error(ErrorKind::config, "bad TUN device name " + name);
  fd_ = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw Error(ErrorKind::io, errno_text("open /dev/net/tun"));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (ioctl(fd_, TUNSETIFF, &ifr) != 0) {
    std::string msg = errno_text("TUNSETIFF " + name);
    close(fd_);
    fd_ = -1;
    throw Error(ErrorKind::io, msg);
  }
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace haul::netem
