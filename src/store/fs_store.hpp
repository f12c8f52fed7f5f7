#pragma once
// Local-directory store: one file per object under DIR, written to a temp
// file, fsynced and renamed into place (never a partial object).

#include <memory>
#include <string_view>

#include "store/store.hpp"

namespace haul::store {

// Creates DIR if needed and removes temp files left by a crash.
std::unique_ptr<Store> make_fs_store(std::string_view dir);

}  // namespace haul::store
