#pragma once
// Reading object files back (fs store): prefix, header, body extent.

#include <cstdint>
#include <optional>
#include <string>

#include "store/fs_io.hpp"
#include "store/store.hpp"

namespace haul::store::fs {

// An object file opened for reading. The fd pins the inode: a concurrent
// overwrite (rename over the path) or remove does not change what this
// reader sees.
struct OpenObject {
  Fd fd;
  std::string path;
  ObjectHead head;          // header is left empty unless asked for
  uint64_t body_start = 0;  // file offset of the first body byte
};

// Opens the object file at `path`; nothing when it does not exist. Throws
// Error(integrity) for a file this store did not write, Error(io) otherwise.
std::optional<OpenObject> open_object(const std::string& path, bool read_header);

// The file bytes [begin, end) of the body that `range` selects, clamped to
// the body (a range past the end yields an empty extent).
struct Extent {
  uint64_t begin = 0;
  uint64_t end = 0;
};
Extent body_extent(uint64_t body_size, const BodyRange& range) noexcept;

}  // namespace haul::store::fs
