#include "http/part_headers.hpp"

#include <utility>
#include <vector>

#include "core/error.hpp"
#include "http/header_params.hpp"
#include "http/ows.hpp"

namespace haul::http {
namespace {

[[noreturn]] void bad(const std::string& reason) {
  throw Error(ErrorKind::bad_request, reason);
}

bool is_header_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    // tchar: visible ASCII except separators.
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) return false;
  }
  return true;
}

using Fields = std::vector<std::pair<std::string_view, std::string>>;

Fields split_fields(std::string_view block) {
  Fields fields;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    if (eol == std::string_view::npos) bad("part header line without CRLF");
    std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (line.empty()) break;  // the blank line that ends the block
    for (char c : line) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) bad("control character in part header");
    }
    if (is_ows(line.front())) {  // obs-fold: continues the previous field
      if (fields.empty()) bad("part header continuation line without a field");
      fields.back().second += ' ';
      fields.back().second += trim_ows(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) bad("malformed part header line (no ':')");
    std::string_view name = line.substr(0, colon);
    if (!is_header_name(name)) bad("malformed part header name");
    fields.emplace_back(name, std::string(trim_ows(line.substr(colon + 1))));
  }
  return fields;
}

}  // namespace

PartInfo parse_part_headers(std::string_view block) {
  const std::string* disposition = nullptr;
  const std::string* content_type = nullptr;
  Fields fields = split_fields(block);
  for (const auto& [name, value] : fields) {
    if (iequals(name, "content-disposition")) {
      if (disposition) bad("repeated Content-Disposition in part");
      disposition = &value;
    } else if (iequals(name, "content-type")) {
      if (content_type) bad("repeated Content-Type in part");
      content_type = &value;
    }
  }
  if (!disposition) bad("part without Content-Disposition");
  auto parsed = parse_param_header(*disposition);
  if (!parsed) bad("malformed Content-Disposition in part");
  if (parsed->value != "form-data") bad("part Content-Disposition is not form-data");
  if (parsed->count("name") != 1) bad("part needs exactly one name in Content-Disposition");
  if (parsed->count("filename") > 1) bad("repeated filename in Content-Disposition");
  PartInfo info;
  info.name = *parsed->param("name");
  if (info.name.empty()) bad("part with an empty name");
  info.filename = parsed->param("filename");
  info.content_type = content_type && !content_type->empty() ? *content_type : "text/plain";
  return info;
}

}  // namespace haul::http
