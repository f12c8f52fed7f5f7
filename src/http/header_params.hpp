#pragma once
// Parsing of header values of the shape `value *( OWS ";" OWS name "=" value )`
// (Content-Type, Content-Disposition; RFC 9110 section 5.6.6), sans-IO.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haul::http {

struct ParamHeader {
  std::string value;  // "multipart/form-data", "form-data": lower-cased
  // In order of appearance, duplicates kept (callers decide); names lower-cased.
  std::vector<std::pair<std::string, std::string>> params;

  // The value of the parameter `name` (lower-case), nullopt when absent.
  // Callers that must not guess check count() first.
  std::optional<std::string> param(std::string_view name) const;
  size_t count(std::string_view name) const;
};

// Parameter values are tokens or quoted-strings; in a quoted-string a
// backslash escapes the next byte (quoted-pair). Percent-escapes are left as
// they are (urllib3 and curl write '"' as %22 in file names; a file name is
// informational only here). Empty parameters ("a; ; b=1", a trailing ';') are
// skipped. nullopt on: empty value, a parameter without '=' or name, an
// unterminated quoted-string, bytes after a closing quote, CTL bytes.
std::optional<ParamHeader> parse_param_header(std::string_view header_value);

// ASCII case-insensitive equality (header names, tokens).
bool iequals(std::string_view a, std::string_view b);

}  // namespace haul::http
