// StreamEncryptor: plaintext in, sealed segments (and the trailer) out.
#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "crypto/stream_format.hpp"

namespace haul::crypto {

StreamEncryptor::StreamEncryptor(const ObjectCipher& cipher, uint64_t first_segment, bool final_part)
    : cipher_(cipher), first_segment_(first_segment), next_segment_(first_segment), final_part_(final_part) {
  if (first_segment > kMaxSegmentIndex) throw Error(ErrorKind::payload_too_large, "part starts past the last segment");
  pending_.reserve(cipher.header().segment_size);
}

template <class Out>
void StreamEncryptor::seal_one(std::span<const uint8_t> plain, bool last, Out& out) {
  size_t at = out.size();
  out.resize(at + plain.size() + kTagSize);
  cipher_.seal_segment(next_segment_, last, plain, std::span<uint8_t>(out).subspan(at));
  ++next_segment_;
}

template <class Out>
void StreamEncryptor::update(std::span<const uint8_t> plain, Out& out) {
  if (finished_) throw Error(ErrorKind::internal, "StreamEncryptor::update after finish");
  if (plain.empty()) return;
  hash_.update(plain);
  if (md5_hash_) md5_hash_->update(plain);
  plain_size_ += plain.size();
  const size_t segment = cipher_.header().segment_size;
  while (!plain.empty()) {
    // More input exists, so a full held segment is not the last one.
    if (pending_.size() == segment) {
      seal_one(pending_, false, out);
      pending_.clear();
    }
    // Whole segments straight from the input (no copy), keeping back the
    // final segment's worth: it may turn out to be the last.
    if (pending_.empty() && plain.size() > segment) {
      seal_one(plain.first(segment), false, out);
      plain = plain.subspan(segment);
      continue;
    }
    size_t take = std::min(segment - pending_.size(), plain.size());
    pending_.insert(pending_.end(), plain.begin(), plain.begin() + static_cast<ptrdiff_t>(take));
    plain = plain.subspan(take);
  }
}

void StreamEncryptor::compute_md5() {
  if (plain_size_ != 0 || finished_) throw Error(ErrorKind::internal, "compute_md5 after the first bytes");
  if (cipher_.header().version < kFormatVersion3) {
    throw Error(ErrorKind::internal, "a format " + std::to_string(cipher_.header().version) + " trailer has no MD5");
  }
  if (!md5_hash_) md5_hash_.emplace();
}

void StreamEncryptor::set_object_totals(uint64_t plain_size, const std::array<uint8_t, 32>& sha256) {
  totals_ = ObjectCipher::TrailerContents{plain_size, sha256, std::nullopt, 0};
}

void StreamEncryptor::set_object_totals(const ObjectCipher::TrailerContents& totals) {
  totals_ = totals;
}

template <class Out>
void StreamEncryptor::finish(Out& out) {
  if (finished_) throw Error(ErrorKind::internal, "StreamEncryptor::finish called twice");
  finished_ = true;
  sha256_ = hash_.finish();
  if (md5_hash_) md5_ = md5_hash_->finish();
  const uint64_t segment = cipher_.header().segment_size;
  if (!final_part_) {
    if (pending_.size() != segment) {
      throw Error(ErrorKind::bad_request, "a part other than the last must be a whole number of " +
                                              std::to_string(segment) + "-byte segments (got " +
                                              std::to_string(plain_size_) + " bytes)");
    }
    seal_one(pending_, false, out);
    pending_.clear();
    return;
  }
  if (first_segment_ > 0 && plain_size_ == 0) {
    throw Error(ErrorKind::bad_request, "the last part of an object may not be empty");
  }
  ObjectCipher::TrailerContents trailer{plain_size_, sha256_, md5_, 0};
  if (totals_) {
    uint64_t expected = first_segment_ * segment + plain_size_;
    if (totals_->plain_size != expected) {
      throw Error(ErrorKind::bad_request, "object size " + std::to_string(totals_->plain_size) +
                                              " does not match its parts (" + std::to_string(expected) + " bytes)");
    }
    trailer = *totals_;
  }
  // Without totals, a final part after segment 0 gets a trailer describing
  // only its own bytes: callers that drop it (and seal the object's trailer
  // themselves) work; one that kept it would store an object whose trailer
  // disagrees with its size, which every trailer check rejects.
  seal_one(pending_, true, out);
  pending_.clear();
  if (defer_trailer_) return;
  auto sealed = cipher_.seal_trailer(trailer);
  out.insert(out.end(), sealed.begin(), sealed.end());
}

template void StreamEncryptor::update(std::span<const uint8_t>, std::vector<uint8_t>&);
template void StreamEncryptor::update(std::span<const uint8_t>, ByteBuffer&);
template void StreamEncryptor::finish(std::vector<uint8_t>&);
template void StreamEncryptor::finish(ByteBuffer&);

}  // namespace haul::crypto
