#include "tls/alpn.hpp"

namespace haul::tls {

namespace {

// Calls fn(name) for each name; false when the list is malformed.
template <class Fn>
bool for_each_name(std::span<const uint8_t> list, Fn&& fn) {
  size_t at = 0;
  while (at < list.size()) {
    const size_t length = list[at];
    if (length == 0 || at + 1 + length > list.size()) return false;
    fn(std::string_view(reinterpret_cast<const char*>(list.data() + at + 1), length));
    at += 1 + length;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> select_alpn(std::span<const uint8_t> offered, std::span<const std::string> ours) {
  if (offered.empty() || !for_each_name(offered, [](std::string_view) {})) return std::nullopt;
  for (const auto& want : ours) {
    std::optional<std::string_view> found;
    for_each_name(offered, [&](std::string_view name) {
      if (!found && name == want) found = name;
    });
    if (found) return found;
  }
  return std::nullopt;
}

std::vector<uint8_t> alpn_wire(std::span<const std::string> names) {
  std::vector<uint8_t> out;
  for (const auto& name : names) {
    if (name.empty() || name.size() > 255) continue;
    out.push_back(static_cast<uint8_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
  }
  return out;
}

}  // namespace haul::tls
