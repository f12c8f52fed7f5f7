// Placeholder until the S3 store lands.
#include "store/s3_store.hpp"

#include "core/error.hpp"

namespace haul::store {
std::unique_ptr<Store> make_s3_store(std::string_view) {
  throw Error(ErrorKind::config, "the S3 store is not built yet");
}
}  // namespace haul::store
