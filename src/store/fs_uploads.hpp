#pragma once
// Parts uploads of the fs store (docs/store.md, "Parts").
//
// DIR/uploads/<id>/meta holds the key and the format header; part n is
// DIR/uploads/<id>/part-<n>, written through a temp file and renamed, so a
// part written again is replaced whole. DIR/uploads/<id>/body is the object
// file, assembled as the parts arrive (fs_assembly.hpp). complete() first
// claims the upload by renaming its directory (so complete, abort and a
// racing complete exclude each other), copies into the body what is not in
// it yet, and publishes it like any object.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "store/fs_layout.hpp"
#include "store/store.hpp"

namespace haul::store::fs {

struct StorePaths {
  std::string root;     // DIR
  std::string objects;  // DIR/objects
  std::string tmp;      // DIR/tmp/<instance>: this process's temp area (fs_instance.hpp)
  std::string uploads;  // DIR/uploads
};

class Uploads {
 public:
  explicit Uploads(StorePaths paths);

  std::string begin(std::string_view key, std::span<const uint8_t> header);
  // not_found: unknown id (or one being completed/aborted); conflict: the id
  // belongs to another key; bad_request: part_number 0.
  std::unique_ptr<ObjectWriter> open_part(std::string_view id, std::string_view key, uint32_t part_number,
                                          uint64_t body_offset);
  // conflict when a part of 1..part_count is missing or the parts' body
  // offsets do not follow each other; the upload then stays as it was.
  void complete(std::string_view id, std::string_view key, uint32_t part_count);
  void abort(std::string_view id, std::string_view key);
  // Removes uploads whose directory was last modified (begin or a part
  // written) more than max_age before now. Returns how many were removed.
  size_t cleanup_expired(std::chrono::seconds max_age, std::chrono::system_clock::time_point now);

 private:
  UploadMeta load_meta(std::string_view id, std::string_view key) const;
  std::string upload_dir(std::string_view id) const { return paths_.uploads + "/" + std::string(id); }
  // Renames `path` into tmp/ under a fresh name (it disappears from its old
  // place atomically; errors from that rename are thrown) and then deletes it
  // there, best effort.
  void discard(const std::string& path) const;

  StorePaths paths_;
  std::string boot_id_;  // which copies into a body count (fs_assembly.hpp)
};

}  // namespace haul::store::fs
