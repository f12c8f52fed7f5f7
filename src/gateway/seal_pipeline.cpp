#include "gateway/seal_pipeline.hpp"

#include <chrono>

#include "gateway/metrics.hpp"

namespace haul::gateway {

namespace {
// Hand the store about 1 MiB at a time: few syscalls, bounded memory.
constexpr size_t kFlushBytes = 1024 * 1024;

// Adds the time of its scope to `own` (and to a gateway-wide counter, if given).
class ScopeTimer {
 public:
  ScopeTimer(uint64_t& own, std::atomic<uint64_t>* total = nullptr)
      : own_(own), total_(total), start_(std::chrono::steady_clock::now()) {}
  ~ScopeTimer() {
    auto ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count());
    if (total_) total_->fetch_add(ns, std::memory_order_relaxed);
    own_ += ns;
  }

 private:
  uint64_t& own_;
  std::atomic<uint64_t>* total_;
  std::chrono::steady_clock::time_point start_;
};

double to_ms(uint64_t nanos) {
  return static_cast<double>(nanos) / 1e6;
}
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
  if (target.compute_md5) encryptor_.compute_md5();
  if (target.totals) encryptor_.set_object_totals(*target.totals);
}

void SealPipeline::write(std::span<const uint8_t> plain) {
  {
    ScopeTimer timer(encrypt_nanos_, &metrics_.encrypt_nanos);
    encryptor_.update(plain, sealed_);
  }
  if (sealed_.size() >= kFlushBytes) flush();
}

SealResult SealPipeline::commit() {
  {
    ScopeTimer timer(encrypt_nanos_, &metrics_.encrypt_nanos);
    encryptor_.finish(sealed_);
  }
  flush();
  {
    ScopeTimer timer(store_nanos_);
    writer_->commit();
  }
  return SealResult{encryptor_.plain_size(), encryptor_.sha256(), encryptor_.md5(), to_ms(encrypt_nanos_),
                    to_ms(store_nanos_)};
}

void SealPipeline::flush() {
  if (sealed_.empty()) return;
  ScopeTimer timer(store_nanos_);
  writer_->write(sealed_);
  sealed_.clear();
}

}  // namespace haul::gateway
