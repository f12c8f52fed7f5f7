#include "net/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>

namespace haul::net {

SysctlValue read_sysctl(std::string_view name) {
  SysctlValue out;
  if (name.empty() || name.find('/') != std::string_view::npos || name.find("..") != std::string_view::npos) {
    out.error = EINVAL;
    return out;
  }
  std::string path = "/proc/sys/";
  for (char c : name) path.push_back(c == '.' ? '/' : c);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.error = errno;
    return out;
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.error = errno;
      ::close(fd);
      return out;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > 65536) break;  // no sysctl we read is this long
  }
  ::close(fd);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  out.text = std::move(text);
  return out;
}

}  // namespace haul::net
