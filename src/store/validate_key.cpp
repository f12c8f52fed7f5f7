#include "core/error.hpp"
#include "store/store.hpp"

namespace haul::store {

namespace {
constexpr size_t kMaxKey = 1024;
constexpr size_t kMaxSegment = 250;

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is malformed.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) -> unsigned { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0x100; };
  auto cont = [&](size_t k) { return (byte(k) & 0xc0) == 0x80; };
  unsigned b0 = byte(i);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    unsigned b1 = byte(i + 1);
    if ((b0 == 0xe0 && b1 < 0xa0) || (b0 == 0xed && b1 > 0x9f)) return 0;
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    unsigned b1 = byte(i + 1);
    if ((b0 == 0xf0 && b1 < 0x90) || (b0 == 0xf4 && b1 > 0x8f)) return 0;
    return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

void validate_key(std::string_view key) {
  auto bad = [](const std::string& why) { return Error(ErrorKind::bad_request, "invalid key: " + why); };
  if (key.empty()) throw bad("empty");
  if (key.size() > kMaxKey) throw bad("longer than 1024 bytes");
  if (key.front() == '/') throw bad("absolute path");
  for (unsigned char c : key) {
    if (c == 0) throw bad("contains NUL");
    if (c < 0x20 || c == 0x7f) throw bad("contains a control character");
    if (c == '\\') throw bad("contains a backslash");
  }
  for (size_t i = 0; i < key.size();) {
    size_t n = utf8_sequence_length(key, i);
    if (n == 0) throw bad("not valid UTF-8");
    i += n;
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    // Empty segments ("dir/", "a//b") are keys S3 users make (folder
    // markers); the fs store names them ".obj"/".dir" like any other
    // segment. "." and ".." stay refused: a key must never read as a path
    // that climbs (whatever a store or a client does with it).
    if (segment == "." || segment == "..") throw bad("'.' or '..' segment");
    // 250, not NAME_MAX (255): the fs store appends a 4-byte suffix to each
    // segment (docs/store.md), and every store accepts the same keys.
    if (segment.size() > kMaxSegment) throw bad("path segment longer than 250 bytes");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

}  // namespace haul::store
