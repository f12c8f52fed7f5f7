#pragma once
// Store URLs -> Store objects.
//   fs:DIR                                   local directory (the default)
//   s3://BUCKET[/PREFIX]?endpoint=URL&region=R[&style=virtual]   S3-compatible

#include <memory>
#include <string_view>

#include "store/store.hpp"

namespace haul::store {

// Throws Error(config) on a malformed URL or an unusable location. name is
// the store's name (--store NAME=URL), which labels its backend metrics.
std::unique_ptr<Store> make_store(std::string_view url, std::string_view name = "default");

}  // namespace haul::store
