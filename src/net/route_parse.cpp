#include "net/route.hpp"

#include <cctype>
#include <charconv>
#include <sstream>
#include <vector>

namespace haul::net {

namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::optional<uint32_t> to_u32(const std::string& s) {
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<RouteEntry> parse_route_line(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
  if (line.empty()) return std::nullopt;
  RouteEntry r;
  r.spec = std::string(line);
  auto w = words(line);
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    // "initcwnd lock 10" is also valid ip syntax.
    size_t v = (w[i + 1] == "lock" && i + 2 < w.size()) ? i + 2 : i + 1;
    if (w[i] == "initcwnd") r.initcwnd = to_u32(w[v]);
    if (w[i] == "initrwnd") r.initrwnd = to_u32(w[v]);
  }
  return r;
}

std::string route_change_command(const RouteEntry& route, uint32_t initcwnd) {
  auto w = words(route.spec);
  std::string out = "ip route change";
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == "initcwnd") {  // drop the old value (and a "lock")
      if (i + 1 < w.size() && w[i + 1] == "lock") ++i;
      ++i;
      continue;
    }
    out += " " + w[i];
  }
  out += " initcwnd " + std::to_string(initcwnd);
  return out;
}

}  // namespace haul::net
