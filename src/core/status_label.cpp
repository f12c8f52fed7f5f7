#include "core/status_label.hpp"

#include <algorithm>
#include <array>

namespace haul {

namespace {

constexpr std::array<long, 50> kKnown = {100, 101,                                                                   //
                                         200, 201, 202, 203, 204, 205, 206,                                          //
                                         300, 301, 302, 303, 304, 305, 307, 308,                                     //
                                         400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414,  //
                                         415, 416, 417, 421, 422, 426, 428, 429, 431, 451,                           //
                                         500, 501, 502, 503, 504, 505, 507, 511};

}  // namespace

std::string status_label(long status) {
  if (std::binary_search(kKnown.begin(), kKnown.end(), status)) return std::to_string(status);
  if (status >= 100 && status <= 599) return std::to_string(status / 100) + "xx";
  return "other";
}

}  // namespace haul
