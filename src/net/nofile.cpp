#include "net/nofile.hpp"

#include <sys/resource.h>

namespace haul::net {

std::pair<unsigned long, unsigned long> raise_nofile_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {0, 0};
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return {static_cast<unsigned long>(limit.rlim_cur), static_cast<unsigned long>(limit.rlim_max)};
}

}  // namespace haul::net
