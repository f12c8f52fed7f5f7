// Layout: where segments, and the trailer, sit in a body (pure arithmetic).
#include <string>

#include "core/error.hpp"
#include "crypto/stream_format.hpp"

namespace haul::crypto {

namespace {

// A segment size outside the bounds never comes from decode_header or
// new_header, nor another trailer size from Layout::for_header; guarding
// here keeps a caller bug from dividing by zero or misplacing the trailer.
void check(const Layout& l) {
  if (l.segment_size < kMinSegmentSize || l.segment_size > kMaxSegmentSize) {
    throw Error(ErrorKind::internal, "layout with segment size " + std::to_string(l.segment_size));
  }
  if (l.trailer_size != kTrailerSizeV2 && l.trailer_size != kTrailerSizeV3) {
    throw Error(ErrorKind::internal, "layout with trailer size " + std::to_string(l.trailer_size));
  }
}

}  // namespace

uint64_t Layout::segment_count(uint64_t plain_size) const {
  check(*this);
  uint64_t count = plain_size == 0 ? 1 : (plain_size - 1) / segment_size + 1;
  if (count > kMaxSegmentIndex + 1) {
    throw Error(ErrorKind::payload_too_large,
                "object of " + std::to_string(plain_size) + " bytes needs more segments than the format allows");
  }
  return count;
}

uint64_t Layout::body_size(uint64_t plain_size) const {
  // count <= 2^32 - 1 and segment_size <= 2^24 bound plain_size by 2^56: no overflow.
  return plain_size + segment_count(plain_size) * kTagSize + trailer_size;
}

std::optional<uint64_t> Layout::plain_size(uint64_t body_size) const {
  check(*this);
  if (body_size < kTagSize + trailer_size) return std::nullopt;
  uint64_t segments = body_size - trailer_size;
  uint64_t full = segments / sealed_segment_size();
  uint64_t rest = segments % sealed_segment_size();
  uint64_t plain = 0;
  uint64_t count = 0;
  if (rest == 0) {
    // Every segment is full (a size that is a multiple of segment_size ends on
    // a full final segment, not an extra empty one).
    plain = full * segment_size;
    count = full;
  } else if (rest < kTagSize || (rest == kTagSize && full > 0)) {
    return std::nullopt;  // a torn tag, or an empty final segment after full ones
  } else {
    plain = full * segment_size + (rest - kTagSize);
    count = full + 1;
  }
  if (count > kMaxSegmentIndex + 1) return std::nullopt;
  return plain;
}

uint64_t Layout::segment_plain_size(uint64_t index, uint64_t plain_size) const {
  uint64_t count = segment_count(plain_size);
  if (index + 1 < count) return segment_size;
  if (index + 1 == count) return plain_size - index * segment_size;
  return 0;
}

Layout::Cover Layout::cover(uint64_t first, uint64_t last) const {
  check(*this);
  if (first > last) throw Error(ErrorKind::range_not_satisfiable, "range starts after it ends");
  Cover c{};
  c.first_segment = first / segment_size;
  c.last_segment = last / segment_size;
  c.body_offset = c.first_segment * sealed_segment_size();
  c.body_length = (c.last_segment - c.first_segment + 1) * sealed_segment_size();
  return c;
}

Layout::Cover Layout::cover(uint64_t first, uint64_t last, uint64_t plain_size) const {
  uint64_t count = segment_count(plain_size);
  if (plain_size == 0) return Cover{0, 0, 0, kTagSize};
  if (first > last || last >= plain_size) {
    throw Error(ErrorKind::range_not_satisfiable, "range " + std::to_string(first) + "-" + std::to_string(last) +
                                                      " is outside an object of " + std::to_string(plain_size) +
                                                      " bytes");
  }
  Cover c = cover(first, last);
  if (c.last_segment + 1 == count) {
    c.body_length -= segment_size - segment_plain_size(c.last_segment, plain_size);
  }
  return c;
}

}  // namespace haul::crypto
