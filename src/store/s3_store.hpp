#pragma once
// S3-compatible store (AWS S3, Ceph RGW, OSS, MinIO) over libcurl.
//
// Layout in the bucket: object KEY is stored at PREFIX+KEY; its content is
// the format body only (segments + trailer), the format header travels as
// user metadata x-amz-meta-haul-header (hex), so a GET of any body range is
// one ranged backend GET. See docs/s3.md.
//
// Backend traffic counters for /metrics, labelled with the store's name:
// s3_metrics_text() in store/s3_metrics.hpp.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace haul::store {

struct S3StoreOptions {
  // Bytes buffered per part of create()'s multipart uploads; objects up to
  // this size go up as one PUT at commit. S3 needs >= 5 MiB (except the last part).
  size_t part_size = 8u << 20;
  // Largest part accepted by open_part() (buffered whole: it needs a Content-Length).
  size_t max_part_size = 256u << 20;
  // The store's name (--store NAME=URL): the `store` label of its metrics.
  std::string name = "default";
};

// url: s3://BUCKET[/PREFIX]?endpoint=URL&region=R[&style=virtual][&credentials=FILE][&profile=P]
// Credentials, first found wins: the credentials= file named in the URL (an
// explicit choice per store), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
// AWS_SESSION_TOKEN) from the environment, ~/.aws/credentials. The profile is
// profile= or AWS_PROFILE or "default". Throws Error(config) when none is found.
std::unique_ptr<Store> make_s3_store(std::string_view url);
std::unique_ptr<Store> make_s3_store(std::string_view url, const S3StoreOptions& options);

}  // namespace haul::store
