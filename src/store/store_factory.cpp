#include "store/store_factory.hpp"

#include <string>

#include "core/error.hpp"
#include "store/fs_store.hpp"
#include "store/s3_store.hpp"

namespace haul::store {

std::unique_ptr<Store> make_store(std::string_view url) {
  if (url.starts_with("fs:")) return make_fs_store(url.substr(3));
  if (url.starts_with("s3://")) return make_s3_store(url);
  throw Error(ErrorKind::config, "unknown store URL '" + std::string(url) + "' (use fs:DIR or s3://BUCKET?endpoint=URL)");
}

}  // namespace haul::store
