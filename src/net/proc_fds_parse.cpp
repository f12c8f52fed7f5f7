#include "net/proc_fds.hpp"

#include <charconv>

namespace haul::net {

std::optional<uint64_t> parse_socket_link(std::string_view link) {
  constexpr std::string_view prefix = "socket:[";
  if (link.size() < prefix.size() + 2 || link.substr(0, prefix.size()) != prefix || link.back() != ']')
    return std::nullopt;
  std::string_view digits = link.substr(prefix.size(), link.size() - prefix.size() - 1);
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return v;
}

}  // namespace haul::net
