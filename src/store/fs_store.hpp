#pragma once
// Local-directory store: one file per object under DIR, written to a temp
// file, fsynced and renamed into place (never a partial object). Layout,
// file formats and the crash argument: docs/store.md.
//
// Thread-safe: the store keeps no mutable state in memory; every call works
// on the directory with blocking POSIX calls (run it on a blocking pool).
// Several processes may share one DIR: each writes its temp files in a
// directory of its own below DIR/tmp, locked while it lives (fs_instance.hpp).

#include <cstddef>
#include <memory>
#include <string_view>

#include "store/store.hpp"

namespace haul::store {

// Creates DIR (and DIR/objects, DIR/tmp, DIR/uploads) if needed, removes the
// temp directories of instances that are gone (left by a crash; those of live
// gateways stay) and creates this instance's own. cleanup_expired_uploads()
// sweeps dead instances' temp directories again. Throws Error(config) when
// DIR cannot be created or used.
std::unique_ptr<Store> make_fs_store(std::string_view dir);

}  // namespace haul::store
