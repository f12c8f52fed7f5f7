#pragma once
// Optional whitespace in HTTP fields (RFC 9110 5.6.3: SP and HTAB), for the
// sans-IO parsers that trim a field value or a list element. Header-only, so
// parsers outside haul_http (the gateway's framing) share it without linking.

#include <string_view>

namespace haul::http {

constexpr bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace haul::http
