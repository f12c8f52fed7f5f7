#include "client/metrics_text.hpp"

#include <cstdlib>
#include <string>

namespace haul::client {

std::optional<double> prometheus_value(std::string_view text, std::string_view name) {
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name) continue;
    if (line[name.size()] != ' ' && line[name.size()] != '\t') continue;
    std::string value(line.substr(name.size() + 1));
    // Optional timestamp after the value: cut at the next blank.
    auto blank = value.find_first_of(" \t");
    if (blank != std::string::npos) value.resize(blank);
    if (value.empty()) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (end != value.c_str() + value.size()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace haul::client
