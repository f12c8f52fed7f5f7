// RangeDecryptor: sealed segments in, authenticated plaintext of a range out.
#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "crypto/stream_format.hpp"

namespace haul::crypto {

RangeDecryptor::RangeDecryptor(const ObjectCipher& cipher, uint64_t plain_size, uint64_t first, uint64_t last)
    : cipher_(cipher),
      layout_(cipher.layout()),
      plain_size_(plain_size),
      first_(plain_size == 0 ? 0 : first),
      last_(plain_size == 0 ? 0 : last),
      cover_(layout_.cover(first, last, plain_size)),
      segment_(cover_.first_segment) {
  pending_.reserve(layout_.sealed_segment_size());
}

template <class Out>
void RangeDecryptor::update(std::span<const uint8_t> body, Out& out) {
  if (failed_) throw Error(ErrorKind::integrity, "object decryption already failed");
  while (!body.empty() && !done()) {
    const size_t sealed = layout_.segment_plain_size(segment_, plain_size_) + kTagSize;
    if (pending_.empty() && body.size() >= sealed) {
      open_one(body.first(sealed), out);  // the common case: no copy into pending_
      body = body.subspan(sealed);
      continue;
    }
    size_t take = std::min(sealed - pending_.size(), body.size());
    pending_.insert(pending_.end(), body.begin(), body.begin() + static_cast<ptrdiff_t>(take));
    body = body.subspan(take);
    if (pending_.size() == sealed) {
      open_one(pending_, out);
      pending_.clear();
    }
  }
}

template <class Out>
void RangeDecryptor::open_one(std::span<const uint8_t> sealed, Out& out) {
  const uint64_t start = segment_ * layout_.segment_size;  // plaintext offset of this segment
  const size_t n = sealed.size() - kTagSize;
  const bool last = segment_ + 1 == layout_.segment_count(plain_size_);
  // The wanted slice [lo, hi) of this segment's plaintext.
  const size_t lo = static_cast<size_t>(std::max(first_, start) - start);
  const size_t hi = static_cast<size_t>(std::min(last_ + 1, start + n) - start);
  auto fail = [&] {
    failed_ = true;
    throw Error(ErrorKind::integrity, "object segment " + std::to_string(segment_) +
                                          " failed authentication (tampered, truncated, reordered, wrong master key,"
                                          " or sealed for another object key or store)");
  };
  if (lo == 0 && hi == n) {
    // Whole segment wanted: decrypt in place at the end of out, and take the
    // bytes back (wiped) if the tag does not verify.
    const size_t at = out.size();
    out.resize(at + n);
    if (!cipher_.open_segment(segment_, last, sealed, std::span<uint8_t>(out).subspan(at))) {
      std::fill(out.begin() + static_cast<ptrdiff_t>(at), out.end(), uint8_t{0});
      out.resize(at);
      fail();
    }
  } else {
    plain_.resize(n);
    if (!cipher_.open_segment(segment_, last, sealed, plain_)) fail();
    out.insert(out.end(), plain_.begin() + static_cast<ptrdiff_t>(lo), plain_.begin() + static_cast<ptrdiff_t>(hi));
  }
  ++segment_;
}

void RangeDecryptor::finish() {
  if (failed_) throw Error(ErrorKind::integrity, "object decryption failed");
  if (!done()) {
    throw Error(ErrorKind::integrity,
                "object body ended inside segment " + std::to_string(segment_) + " (stored object truncated)");
  }
}

template void RangeDecryptor::update(std::span<const uint8_t>, std::vector<uint8_t>&);
template void RangeDecryptor::update(std::span<const uint8_t>, ByteBuffer&);

}  // namespace haul::crypto
