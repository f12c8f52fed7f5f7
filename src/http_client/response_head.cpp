#include "http_client/response_head.hpp"

#include "http/ows.hpp"

namespace haul::http_client {
namespace {

std::string_view trim(std::string_view s) {
  return http::trim_space(s);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "HTTP/1.1 204 No Content" -> 204; 0 when the code is not three digits.
int status_of(std::string_view line) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return 0;
  std::string_view code = line.substr(sp + 1, 3);
  if (code.size() != 3) return 0;
  int status = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return 0;
    status = status * 10 + (c - '0');
  }
  return status;
}

}  // namespace

const std::string* find_header(const Headers& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

void ResponseHead::feed_line(std::string_view line) {
  if (line.starts_with("HTTP/")) {
    status = status_of(line);
    headers.clear();
    complete = false;
    return;
  }
  std::string_view content = trim(line);
  if (content.empty()) {
    // The end of a block: the final one unless it was an interim 1xx.
    if (status >= 200) complete = true;
    return;
  }
  size_t colon = content.find(':');
  if (colon == std::string_view::npos || colon == 0) return;
  headers.emplace_back(lower(trim(content.substr(0, colon))), std::string(trim(content.substr(colon + 1))));
}

std::string ResponseHead::value(std::string_view lower_name) const {
  const std::string* v = find(lower_name);
  return v ? *v : std::string();
}

}  // namespace haul::http_client
