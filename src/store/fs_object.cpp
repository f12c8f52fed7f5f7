#include "store/fs_object.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "core/error.hpp"
#include "store/fs_layout.hpp"

namespace haul::store::fs {

std::optional<OpenObject> open_object(const std::string& path, bool read_header) {
  Fd fd = open_if_exists(path, O_RDONLY);
  if (!fd.valid()) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno(errno, "stat", path);
  std::array<uint8_t, kObjectPrefixSize> prefix{};
  size_t got = pread_full(fd.get(), prefix, 0, path);
  uint32_t header_size = parse_object_prefix(std::span(prefix.data(), got), path);
  uint64_t file_size = static_cast<uint64_t>(st.st_size);
  uint64_t body_start = kObjectPrefixSize + header_size;
  if (file_size < body_start) {
    throw Error(ErrorKind::integrity, "corrupt store file (shorter than its header)", path);
  }
  OpenObject object;
  object.head.body_size = file_size - body_start;
  object.head.mtime_unix = static_cast<int64_t>(st.st_mtim.tv_sec);
  if (read_header) {
    object.head.header.resize(header_size);
    if (pread_full(fd.get(), object.head.header, kObjectPrefixSize, path) != header_size) {
      throw Error(ErrorKind::integrity, "corrupt store file (shorter than its header)", path);
    }
  }
  object.fd = std::move(fd);
  object.path = path;
  object.body_start = body_start;
  return object;
}

Extent body_extent(uint64_t body_size, const BodyRange& range) noexcept {
  if (range.suffix_length) {
    return Extent{body_size - std::min(*range.suffix_length, body_size), body_size};
  }
  uint64_t begin = std::min(range.offset, body_size);
  uint64_t end = body_size;
  if (range.length && *range.length < body_size - begin) end = begin + *range.length;
  return Extent{begin, end};
}

}  // namespace haul::store::fs
