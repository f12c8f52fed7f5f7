#pragma once
// S3-compatible store (AWS S3, Ceph RGW, OSS, MinIO) over libcurl.

#include <memory>
#include <string_view>

#include "store/store.hpp"

namespace haul::store {

// url: s3://BUCKET[/PREFIX]?endpoint=URL&region=R[&style=virtual]
std::unique_ptr<Store> make_s3_store(std::string_view url);

}  // namespace haul::store
