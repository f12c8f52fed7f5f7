#pragma once
// Listing the fs store in byte-wise key order.

#include <string>
#include <string_view>

#include "store/store.hpp"

namespace haul::store::fs {

// Walks objects_root depth-first, visiting each directory's entries sorted by
// the key text they stand for ("seg" for a file, "seg/" for a directory),
// which yields keys in byte-wise order. Directories that cannot hold a key
// matching `prefix` and greater than `start_after` are not opened. Entries
// that vanish during the walk (concurrent remove) are skipped. At most
// `limit` entries; next_after is set when more remain. limit 0 is
// Error(bad_request).
ListPage list_objects(const std::string& objects_root, std::string_view prefix, std::string_view start_after,
                      size_t limit);

}  // namespace haul::store::fs
