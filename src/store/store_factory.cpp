#include "store/store_factory.hpp"

#include <string>

#include "core/error.hpp"
#include "store/fs_store.hpp"
#include "store/s3_store.hpp"

namespace haul::store {

std::unique_ptr<Store> make_store(std::string_view url, std::string_view name) {
  if (url.starts_with("fs:")) return make_fs_store(url.substr(3));
  if (url.starts_with("s3://")) {
    S3StoreOptions options;
    options.name = std::string(name);
    return make_s3_store(url, options);
  }
  throw Error(ErrorKind::config,
              "unknown store URL '" + std::string(url) + "' (use fs:DIR or s3://BUCKET?endpoint=URL)");
}

}  // namespace haul::store
