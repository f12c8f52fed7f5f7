#include "net/sysctl.hpp"

#include <cctype>
#include <charconv>

namespace haul::net {

std::optional<std::vector<int64_t>> parse_sysctl_ints(std::string_view text) {
  std::vector<int64_t> out;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
    if (ec != std::errc()) return std::nullopt;
    size_t next = static_cast<size_t>(ptr - text.data());
    if (next < text.size() && !std::isspace(static_cast<unsigned char>(text[next]))) return std::nullopt;
    out.push_back(v);
    i = next;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace haul::net
