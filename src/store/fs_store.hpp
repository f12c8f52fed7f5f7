#pragma once
// Local-directory store: one file per object under DIR, written to a temp
// file, fsynced and renamed into place (never a partial object). Layout,
// file formats and the crash argument: docs/store.md.
//
// Thread-safe: the store keeps no mutable state in memory; every call works
// on the directory with blocking POSIX calls (run it on a blocking pool).
// One process per DIR: make_fs_store empties DIR/tmp, which would destroy the
// in-progress writes of another process using the same DIR.

#include <cstddef>
#include <memory>
#include <string_view>

#include "store/store.hpp"

namespace haul::store {

// Creates DIR (and DIR/objects, DIR/tmp, DIR/uploads) if needed and removes
// everything in DIR/tmp (temp files left by a crash). Throws Error(config)
// when DIR cannot be created or used.
std::unique_ptr<Store> make_fs_store(std::string_view dir);

}  // namespace haul::store
