#include "gateway/seal_pipeline.hpp"

#include <chrono>

#include "gateway/metrics.hpp"

namespace haul::gateway {

namespace {
// Hand the store about 1 MiB at a time: few syscalls, bounded memory.
constexpr size_t kFlushBytes = 1024 * 1024;

class EncryptTimer {
 public:
  EncryptTimer(Metrics& m, uint64_t& own) : metrics_(m), own_(own), start_(std::chrono::steady_clock::now()) {}
  ~EncryptTimer() {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_);
    metrics_.encrypt_nanos.fetch_add(static_cast<uint64_t>(ns.count()), std::memory_order_relaxed);
    own_ += static_cast<uint64_t>(ns.count());
  }

 private:
  Metrics& metrics_;
  uint64_t& own_;
  std::chrono::steady_clock::time_point start_;
};
}  // namespace

SealPipeline::SealPipeline(const crypto::ObjectCipher& cipher, std::unique_ptr<store::ObjectWriter> writer,
                           Metrics& metrics, SealTarget target)
    : encryptor_(cipher, target.first_segment, target.final_part),
      writer_(std::move(writer)),
      metrics_(metrics),
      target_(target) {
  sealed_.reserve(kFlushBytes + crypto::kDefaultSegmentSize + crypto::kTagSize);
  // A parts upload seals the trailer at complete time: it needs the whole
  // object's size and digest, which no single part knows.
  if (target.final_part && !target.write_trailer) encryptor_.defer_trailer();
}

void SealPipeline::write(std::span<const uint8_t> plain) {
  {
    EncryptTimer timer(metrics_, encrypt_nanos_);
    encryptor_.update(plain, sealed_);
  }
  if (sealed_.size() >= kFlushBytes) flush();
}

SealResult SealPipeline::commit() {
  {
    EncryptTimer timer(metrics_, encrypt_nanos_);
    encryptor_.finish(sealed_);
  }
  flush();
  writer_->commit();
  return SealResult{encryptor_.plain_size(), encryptor_.sha256()};
}

void SealPipeline::flush() {
  if (sealed_.empty()) return;
  writer_->write(sealed_);
  sealed_.clear();
}

}  // namespace haul::gateway
