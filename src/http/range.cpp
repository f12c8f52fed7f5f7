#include "http/range.hpp"

#include <optional>
#include <vector>

#include "http/header_params.hpp"
#include "http/ows.hpp"

namespace haul::http {
namespace {

// Digits only (no sign, no spaces), at least one, fitting in uint64.
std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// One range-spec as written, before it meets the object size.
struct Spec {
  std::optional<uint64_t> first;  // absent for a suffix range
  std::optional<uint64_t> last;   // absent for "a-"; the suffix length for "-n"
};

std::optional<Spec> parse_spec(std::string_view s) {
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = trim_ows(s.substr(0, dash));
  std::string_view b = trim_ows(s.substr(dash + 1));
  Spec spec;
  if (!a.empty()) {
    spec.first = parse_u64(a);
    if (!spec.first) return std::nullopt;
  }
  if (!b.empty()) {
    spec.last = parse_u64(b);
    if (!spec.last) return std::nullopt;
  }
  if (!spec.first && !spec.last) return std::nullopt;                            // "-"
  if (spec.first && spec.last && *spec.last < *spec.first) return std::nullopt;  // b < a
  return spec;
}

RangeRequest resolve(const Spec& spec, uint64_t size) {
  using Kind = RangeRequest::Kind;
  if (!spec.first) {  // suffix: the last n bytes
    uint64_t n = *spec.last;
    if (n == 0 || size == 0) return {Kind::unsatisfiable, {}};
    if (n >= size) return {Kind::partial, {0, size - 1}};
    return {Kind::partial, {size - n, size - 1}};
  }
  uint64_t first = *spec.first;
  if (size == 0 || first >= size) return {Kind::unsatisfiable, {}};
  uint64_t last = spec.last && *spec.last < size ? *spec.last : size - 1;
  return {Kind::partial, {first, last}};
}

}  // namespace

RangeRequest parse_range(std::string_view value, uint64_t size) {
  using Kind = RangeRequest::Kind;
  value = trim_ows(value);
  if (value.empty()) return {Kind::full, {}};
  size_t eq = value.find('=');
  if (eq == std::string_view::npos) return {Kind::malformed, {}};
  if (!iequals(trim_ows(value.substr(0, eq)), "bytes")) return {Kind::malformed, {}};

  std::vector<Spec> specs;
  std::string_view set = value.substr(eq + 1);
  while (true) {
    size_t comma = set.find(',');
    std::string_view element = trim_ows(set.substr(0, comma));
    if (!element.empty()) {
      auto spec = parse_spec(element);
      if (!spec) return {Kind::malformed, {}};
      // Bound the work on hostile headers; any real client sends one or two.
      if (specs.size() < 2) specs.push_back(*spec);
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs.empty()) return {Kind::malformed, {}};  // "bytes=" or "bytes=,"
  if (specs.size() > 1) return {Kind::full, {}};
  return resolve(specs.front(), size);
}

std::string content_range(const ByteRange& r, uint64_t size) {
  return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" + std::to_string(size);
}

std::string unsatisfied_content_range(uint64_t size) {
  return "bytes */" + std::to_string(size);
}

}  // namespace haul::http
