#include "core/size_parse.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace haul {

namespace {

struct NumberAndUnit {
  double number;
  std::string unit;  // lower-case
};

std::optional<NumberAndUnit> split(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc() || ptr != text.data() + i || number < 0) return std::nullopt;
  std::string unit;
  for (char c : text.substr(i)) unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return NumberAndUnit{number, unit};
}

}  // namespace

std::optional<uint64_t> parse_size(std::string_view text) {
  auto parts = split(text);
  if (!parts) return std::nullopt;
  double mult = 0;
  const std::string& u = parts->unit;
  if (u.empty() || u == "b")
    mult = 1;
  else if (u == "k" || u == "kb" || u == "kib")
    mult = 1024.0;
  else if (u == "m" || u == "mb" || u == "mib")
    mult = 1024.0 * 1024;
  else if (u == "g" || u == "gb" || u == "gib")
    mult = 1024.0 * 1024 * 1024;
  else if (u == "t" || u == "tb" || u == "tib")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else
    return std::nullopt;
  double value = parts->number * mult;
  if (value > 1.8e19) return std::nullopt;
  return static_cast<uint64_t>(value);
}

std::optional<uint64_t> parse_rate_bps(std::string_view text) {
  auto parts = split(text);
  if (!parts) return std::nullopt;
  double mult = 0;
  const std::string& u = parts->unit;
  if (u.empty() || u == "bit" || u == "bps")
    mult = 1;
  else if (u == "kbit" || u == "k" || u == "kbps")
    mult = 1e3;
  else if (u == "mbit" || u == "m" || u == "mbps")
    mult = 1e6;
  else if (u == "gbit" || u == "g" || u == "gbps")
    mult = 1e9;
  else
    return std::nullopt;
  double value = parts->number * mult;
  if (value > 1e13) return std::nullopt;
  return static_cast<uint64_t>(value);
}

}  // namespace haul
