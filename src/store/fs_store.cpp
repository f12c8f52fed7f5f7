// Placeholder until the fs store lands.
#include "store/fs_store.hpp"

#include "core/error.hpp"

namespace haul::store {
std::unique_ptr<Store> make_fs_store(std::string_view) {
  throw Error(ErrorKind::config, "the fs store is not built yet");
}
}  // namespace haul::store
