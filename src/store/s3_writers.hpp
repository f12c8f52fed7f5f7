#pragma once
// The write side of the S3 store: the multipart-upload calls, the writer of
// create() (buffered parts, single PUT for small objects, abort when
// destroyed uncommitted) and the writer of one parts-API part. Internal to
// src/store (s3_store.cpp); see docs/s3.md.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "s3/responses.hpp"
#include "store/s3_client.hpp"
#include "store/store.hpp"

namespace haul::store::s3io {

inline constexpr const char* kHeaderMeta = "x-amz-meta-haul-header";
inline constexpr size_t kMinPartSize = 5u << 20;  // S3's minimum for every part but the last

inline bool ok(const Response& r) {
  return r.status >= 200 && r.status < 300;
}

// Maps a non-2xx S3 answer to the Error a gateway client should see
// (not_found, bad_request, range_not_satisfiable, backend_unavailable).
[[noreturn]] void throw_for(const Response& r, std::string_view what, std::string_view key);

// Multipart-upload calls on one client.
struct Uploads {
  Client& client;
  // CreateMultipartUpload with the format header as metadata; not retried
  // (a retry could orphan an upload). Returns the UploadId.
  std::string initiate(const std::string& full_key, const std::string& meta) const;
  haul::s3::PartEntry upload_part(const std::string& full_key, const std::string& upload_id, uint32_t number,
                                  std::span<const uint8_t> body) const;
  void complete(const std::string& full_key, const std::string& upload_id,
                const std::vector<haul::s3::PartEntry>& parts) const;
  void abort(const std::string& full_key, const std::string& upload_id) const;
};

// create(): see docs/s3.md "Writes".
std::unique_ptr<ObjectWriter> make_object_writer(std::shared_ptr<Client> client, std::string full_key, std::string meta,
                                                 size_t part_size);
// open_part(): parts of at least kMinPartSize go up as S3 part `number`;
// shorter ones as the side object `side_key` (joined at complete).
std::unique_ptr<ObjectWriter> make_part_writer(std::shared_ptr<Client> client, std::string full_key,
                                               std::string upload_id, uint32_t number, size_t max_size,
                                               std::string side_key);

}  // namespace haul::store::s3io
