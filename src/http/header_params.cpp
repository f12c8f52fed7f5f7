#include "http/header_params.hpp"

#include "http/ows.hpp"

namespace haul::http {
namespace {

bool is_ctl(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// RFC 9110 tchar.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void skip_ows(std::string_view s, size_t& i) {
  while (i < s.size() && is_ows(s[i])) ++i;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string> ParamHeader::param(std::string_view name) const {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  return std::nullopt;
}

size_t ParamHeader::count(std::string_view name) const {
  size_t c = 0;
  for (const auto& p : params) c += p.first == name;
  return c;
}

std::optional<ParamHeader> parse_param_header(std::string_view s) {
  for (char c : s) {
    if (is_ctl(c)) return std::nullopt;
  }
  ParamHeader out;
  size_t i = 0;
  skip_ows(s, i);
  size_t start = i;
  while (i < s.size() && s[i] != ';' && !is_ows(s[i])) ++i;
  out.value = to_lower(s.substr(start, i - start));
  if (out.value.empty()) return std::nullopt;
  skip_ows(s, i);
  while (i < s.size()) {
    if (s[i] != ';') return std::nullopt;  // "a b" or bytes after a quoted value
    ++i;
    skip_ows(s, i);
    if (i == s.size() || s[i] == ';') continue;  // empty parameter
    start = i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    std::string name = to_lower(s.substr(start, i - start));
    if (name.empty() || i == s.size() || s[i] != '=') return std::nullopt;
    ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == s.size()) return std::nullopt;
          c = s[i++];
        }
        value.push_back(c);
      }
      if (!closed) return std::nullopt;
    } else {
      // Unquoted: lenient beyond tchar (curl and browsers put '/', ':', '='
      // in boundaries), but never a quote or separator that would confuse.
      while (i < s.size() && s[i] != ';' && !is_ows(s[i])) {
        if (s[i] == '"' || s[i] == '\\') return std::nullopt;
        value.push_back(s[i++]);
      }
      if (value.empty()) return std::nullopt;
    }
    out.params.emplace_back(std::move(name), std::move(value));
    skip_ows(s, i);
  }
  return out;
}

}  // namespace haul::http
