#include "core/error.hpp"
#include "store/store.hpp"

namespace haul::store {

void validate_key(std::string_view key) {
  auto bad = [](const std::string& why) { return Error(ErrorKind::bad_request, "invalid key: " + why); };
  if (key.empty()) throw bad("empty");
  if (key.size() > 1024) throw bad("longer than 1024 bytes");
  if (key.front() == '/') throw bad("absolute path");
  for (unsigned char c : key) {
    if (c == 0) throw bad("contains NUL");
    if (c < 0x20 || c == 0x7f) throw bad("contains a control character");
    if (c == '\\') throw bad("contains a backslash");
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t slash = key.find('/', start);
    std::string_view segment = key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty()) throw bad("empty path segment");
    if (segment == "." || segment == "..") throw bad("'.' or '..' segment");
    if (segment.size() > 255) throw bad("path segment longer than 255 bytes");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

}  // namespace haul::store
