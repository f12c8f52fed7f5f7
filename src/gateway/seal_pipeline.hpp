#pragma once
// Plaintext in, sealed body out to a store writer, in bounded memory: the
// upload half of the gateway, without sockets. Calls block (store I/O): the
// gateway runs them on its blocking pool.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/byte_buffer.hpp"
#include "crypto/stream_format.hpp"
#include "store/store.hpp"

namespace haul::gateway {

class Metrics;

struct SealResult {
  uint64_t plain_size = 0;
  std::array<uint8_t, 32> sha256{};
  std::optional<std::array<uint8_t, 16>> md5;  // of the plaintext, when SealTarget::compute_md5
  // Where the time went, for the upload's JSON answer ("timings"): sealing
  // segments, and handing sealed bytes to the store (writes and the commit,
  // which includes the fs store's fsync or the S3 store's last part).
  double encrypt_ms = 0;
  double store_ms = 0;
};

// Whole object, or one part of a parts upload.
struct SealTarget {
  uint64_t first_segment = 0;
  bool final_part = true;
  bool write_trailer = true;  // false for the final part of a parts upload:
                              // its trailer is sealed at complete time
  // The S3 API's ETag is the plaintext's MD5 (format 3 trailers carry it);
  // off by default: MD5 costs more CPU than AES-GCM.
  bool compute_md5 = false;
  // Trailer contents given whole instead of computed (an S3 multipart
  // upload's "md5-of-part-md5s-N" ETag); plain_size must be what is written.
  std::optional<crypto::ObjectCipher::TrailerContents> totals;
};

class SealPipeline {
 public:
  // Takes ownership of the writer; seals with cipher (which must outlive this).
  SealPipeline(const crypto::ObjectCipher& cipher, std::unique_ptr<store::ObjectWriter> writer, Metrics& metrics,
               SealTarget target = {});
  void write(std::span<const uint8_t> plain);
  // Seals the rest, writes it and commits the writer.
  SealResult commit();
  uint64_t plain_size() const { return encryptor_.plain_size(); }

 private:
  void flush();

  crypto::StreamEncryptor encryptor_;
  std::unique_ptr<store::ObjectWriter> writer_;
  Metrics& metrics_;
  SealTarget target_;
  ByteBuffer sealed_;  // pending output, flushed at kFlushBytes (grows without zero-filling)
  uint64_t encrypt_nanos_ = 0;
  uint64_t store_nanos_ = 0;
};

}  // namespace haul::gateway
