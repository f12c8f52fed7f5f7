#pragma once
// Optional whitespace in HTTP fields (RFC 9110 5.6.3: SP and HTAB), for the
// sans-IO parsers that trim a field value or a list element. Header-only, so
// parsers outside haul_http (the gateway's framing) share it without linking.

#include <string_view>
#include <vector>

namespace haul::http {

constexpr bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Whitespace as XML and header-block parsers see it: OWS plus CR and LF.
constexpr bool is_space_or_newline(char c) {
  return is_ows(c) || c == '\r' || c == '\n';
}

constexpr std::string_view trim_space(std::string_view s) {
  while (!s.empty() && is_space_or_newline(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space_or_newline(s.back())) s.remove_suffix(1);
  return s;
}

// The elements of a comma-separated field value (RFC 9110 5.6.1: "a, b,c"),
// each without its OWS; empty elements are dropped, as the RFC asks.
inline std::vector<std::string_view> list_elements(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (auto element = trim_ows(value.substr(0, comma)); !element.empty()) out.push_back(element);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return out;
}

}  // namespace haul::http
