#include "gateway/open_pipeline.hpp"

#include <cassert>
#include <chrono>
#include <exception>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/metrics.hpp"
#include "http/range.hpp"

namespace haul::gateway {

namespace {

// The Range header is parsed before the object's size is known (the size
// comes with the first backend answer), against a size no object reaches;
// the real range is resolved once the head arrives.
constexpr uint64_t kUnknownSize = uint64_t{1} << 62;

// Body bytes per store read: one backend round of work per next().
constexpr size_t kReadPiece = kWholeReadLimit;

struct RangeShape {
  enum class Kind { whole, bounded, open_ended, suffix, unsatisfiable } kind = Kind::whole;
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t suffix = 0;
};

RangeShape classify_range(std::string_view header) {
  RangeShape shape;
  if (header.empty()) return shape;
  auto r = http::parse_range(header, kUnknownSize);
  switch (r.kind) {
    case http::RangeRequest::Kind::full: return shape;
    case http::RangeRequest::Kind::malformed:
      throw Error(ErrorKind::bad_request, "malformed Range header (use bytes=a-b, bytes=a- or bytes=-n)");
    case http::RangeRequest::Kind::unsatisfiable: shape.kind = RangeShape::Kind::unsatisfiable; return shape;
    case http::RangeRequest::Kind::partial: break;
  }
  if (r.range.last != kUnknownSize - 1) {
    shape.kind = RangeShape::Kind::bounded;
  } else if (r.range.first > kUnknownSize / 2) {
    shape.kind = RangeShape::Kind::suffix;
    shape.suffix = kUnknownSize - r.range.first;
  } else {
    shape.kind = RangeShape::Kind::open_ended;
  }
  shape.first = r.range.first;
  shape.last = r.range.last;
  return shape;
}

// The body bytes to ask the store for, before the size is known: the
// covering segments of the range as far as the range alone tells.
store::BodyRange body_range_for(const RangeShape& shape, const crypto::Layout& layout) {
  store::BodyRange range;
  const uint64_t sealed = layout.sealed_segment_size();
  switch (shape.kind) {
    case RangeShape::Kind::whole:
    case RangeShape::Kind::unsatisfiable: break;
    case RangeShape::Kind::bounded: {
      auto cover = layout.cover(shape.first, shape.last);
      range.offset = cover.body_offset;
      range.length = cover.body_length;
      break;
    }
    case RangeShape::Kind::open_ended: range.offset = shape.first / layout.segment_size * sealed; break;
    case RangeShape::Kind::suffix: {
      // n plaintext bytes at the end span at most n/S + 1 segments before the
      // trailer (plus one more when the last segment is short). The format,
      // and so the trailer's size, is not known yet: ask for the largest.
      uint64_t segments = shape.suffix / layout.segment_size + 2;
      range.suffix_length = segments * sealed + crypto::kMaxTrailerSize;
      break;
    }
  }
  return range;
}

class DecryptTimer {
 public:
  explicit DecryptTimer(Metrics& m) : metrics_(m), start_(std::chrono::steady_clock::now()) {}
  ~DecryptTimer() {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_);
    metrics_.decrypt_nanos.fetch_add(static_cast<uint64_t>(ns.count()), std::memory_order_relaxed);
  }

 private:
  Metrics& metrics_;
  std::chrono::steady_clock::time_point start_;
};

// The header of a stored object, refused when its format is older than the
// target accepts.
crypto::Header decode_for(std::span<const uint8_t> bytes, const ReadTarget& target) {
  auto header = crypto::decode_header(bytes);
  if (header.version < target.min_format) {
    throw Error(ErrorKind::integrity, "stored object is in format " + std::to_string(header.version) +
                                          ", which this gateway no longer serves (--min-format " +
                                          std::to_string(target.min_format) + "; haul reseal upgrades it)");
  }
  return header;
}

// Integrity failures of a format-2 object may mean it was sealed for another
// key or store: say so, for the operator who renamed a store.
std::string auth_failure(const crypto::Header& header, const char* what) {
  std::string m = std::string("stored object failed authentication (") + what + ")";
  if (header.version >= crypto::kFormatVersion2) m += ": damaged, or sealed for another key or store";
  return m;
}

// The trailer's contents once it authenticates and names plain_size as the
// object's size; throws integrity otherwise (HEAD's suffix read and a small
// whole GET's one read both end here).
crypto::ObjectCipher::TrailerContents checked_trailer(const crypto::ObjectCipher& cipher,
                                                      std::span<const uint8_t> sealed, uint64_t plain_size,
                                                      const crypto::Header& header) {
  auto trailer = cipher.open_trailer(sealed);
  if (!trailer || trailer->plain_size != plain_size) throw Error(ErrorKind::integrity, auth_failure(header, "trailer"));
  return *trailer;
}

}  // namespace

std::string etag_of(std::span<const uint8_t> header) {
  auto decoded = crypto::decode_header(header);
  return "\"" + to_hex(std::span<const uint8_t>(decoded.salt.data(), 16)) + "\"";
}

ObjectOpener::ObjectOpener(store::Store& store, const crypto::Keyring& keys, Metrics& metrics, ReadTarget target,
                           std::string range_header)
    : store_(store),
      keys_(keys),
      metrics_(metrics),
      target_(std::move(target)),
      range_header_(std::move(range_header)) {}

ObjectOpener::~ObjectOpener() = default;

const ResponseStart& ObjectOpener::open() {
  assert(!opened_ && "open() is called once");
  opened_ = true;
  const RangeShape shape = classify_range(range_header_);
  // Segment size is per object (in its header) but the body range must be
  // chosen before the header arrives: objects are written with the default,
  // and a mismatch is detected below and answered by a second read.
  const crypto::Layout guess{crypto::kDefaultSegmentSize, crypto::kMaxTrailerSize};
  const store::BodyRange asked = body_range_for(shape, guess);
  reader_ = store_.open(target_.identity.key, asked);
  // A copy: reader_ may be replaced below, and its head with it.
  const store::ObjectHead head = reader_->head();

  auto header = decode_for(head.header, target_);
  const auto layout = crypto::Layout::for_header(header);
  auto size = layout.plain_size(head.body_size);
  if (!size) throw Error(ErrorKind::integrity, "stored object has an impossible length");
  response_.object_size = *size;
  response_.etag = etag_of(head.header);
  response_.mtime_unix = head.mtime_unix;
  response_.metadata = header.metadata;
  response_.status = 200;
  response_.content_length = *size;
  // An empty object still has one sealed (empty) final segment: it is
  // read and authenticated like any other.
  uint64_t first = 0, last = *size == 0 ? 0 : *size - 1;
  if (shape.kind != RangeShape::Kind::whole) {
    auto resolved = http::parse_range(range_header_, *size);
    if (resolved.kind == http::RangeRequest::Kind::unsatisfiable) {
      response_.status = 416;
      response_.content_length = 0;
      response_.content_range = http::unsatisfied_content_range(*size);
      reader_.reset();
      done_ = true;
      return response_;
    }
    if (resolved.kind == http::RangeRequest::Kind::partial) {
      response_.status = 206;
      first = resolved.range.first;
      last = resolved.range.last;
      response_.content_length = last - first + 1;
      response_.content_range = http::content_range(resolved.range, *size);
    }
  }
  cipher_ = std::make_unique<crypto::ObjectCipher>(keys_, header, target_.identity);
  decryptor_ = std::make_unique<crypto::RangeDecryptor>(*cipher_, *size, first, last);
  const auto& cover = decryptor_->cover();
  wanted_from_ = cover.body_offset;
  wanted_to_ = cover.body_offset + cover.body_length;
  read_to_ = wanted_to_;
  body_pos_ = asked.suffix_length ? head.body_size - std::min(*asked.suffix_length, head.body_size)
                                  : std::min(asked.offset, head.body_size);
  uint64_t asked_end = asked.length ? asked.offset + *asked.length : head.body_size;
  if (header.segment_size != guess.segment_size || wanted_from_ < body_pos_ || wanted_to_ > asked_end) {
    // Unusual segment size or a range the first guess did not cover: one
    // more read with the exact cover.
    reader_ =
        store_.open(target_.identity.key, store::BodyRange{wanted_from_, wanted_to_ - wanted_from_, std::nullopt});
    body_pos_ = wanted_from_;
    asked_end = wanted_to_;
  }
  const bool whole_object = first == 0 && (*size == 0 || last == *size - 1);
  if (whole_object && head.body_size <= kWholeReadLimit && asked_end >= head.body_size && body_pos_ == 0) {
    read_to_ = head.body_size;
    trailer_.reserve(layout.trailer_size);
  }
  produce(1);  // one read's worth: the status line goes out after the first segment
  // No status line is out yet: a store failure is the answer (a small whole
  // object's read failing after some plaintext must not look like damage).
  if (failure_) std::rethrow_exception(failure_);
  if (reads_trailer()) take_trailer(header, layout);
  held_ = !plain_.empty();
  if (!held_) end();
  return response_;
}

std::span<const uint8_t> ObjectOpener::next(size_t size) {
  assert(opened_ && "open() comes first");
  if (held_) {
    held_ = false;
    return plain_;
  }
  if (failure_) std::rethrow_exception(failure_);
  if (done_) return {};
  produce(size);
  if (plain_.empty()) end();
  return plain_;
}

void ObjectOpener::produce(size_t size) {
  // The stored bytes are needed only within this call, which runs on one
  // thread from start to end: one buffer per thread, not one per download
  // (a stalled download keeps only its plaintext).
  thread_local std::vector<uint8_t> sealed(kReadPiece);
  plain_.swap(previous_);
  plain_.clear();
  uint64_t read_here = 0;
  // Reads `size` stored bytes, more while none of them was plaintext (the
  // bytes before a range's cover), and a small whole object to its end at
  // once (its trailer too).
  while ((plain_.empty() || read_here < size || reads_trailer()) && body_pos_ < read_to_) {
    try {
      size_t want = static_cast<size_t>(std::min<uint64_t>(kReadPiece, read_to_ - body_pos_));
      size_t got = reader_->read(std::span<uint8_t>(sealed.data(), want));
      if (got == 0) return;  // the store's body ended early: end() or take_trailer() reports it
      read_here += got;
      const uint64_t start = body_pos_;
      body_pos_ += got;
      // Skip what lies before the cover (suffix reads ask for a little more).
      uint64_t from = std::max(start, wanted_from_);
      uint64_t to = std::min(body_pos_, wanted_to_);
      if (from < to) {
        DecryptTimer timer(metrics_);
        decryptor_->update(std::span<const uint8_t>(sealed.data() + (from - start), to - from), plain_);
      }
      if (body_pos_ > wanted_to_) {
        const uint64_t tail_from = std::max(start, wanted_to_);
        trailer_.insert(trailer_.end(), sealed.data() + (tail_from - start), sealed.data() + got);
      }
    } catch (...) {
      // What authenticated before the failure still goes out (a client can
      // resume from there); the next call throws.
      if (plain_.empty()) throw;
      failure_ = std::current_exception();
      return;
    }
  }
}

void ObjectOpener::take_trailer(const crypto::Header& header, const crypto::Layout& layout) {
  if (trailer_.size() != layout.trailer_size) throw Error(ErrorKind::integrity, "stored object is damaged");
  const auto trailer = checked_trailer(*cipher_, trailer_, response_.object_size, header);
  if (trailer.sha256) response_.sha256_hex = to_hex(*trailer.sha256);
}

void ObjectOpener::end() {
  decryptor_->finish();  // throws integrity when covering bytes were missing
  done_ = true;
  reader_.reset();  // the store's connection goes back to its pool now
}

ObjectSummary summarize_object(store::Store& store, const crypto::Keyring& keys, const ReadTarget& target) {
  const std::string& key = target.identity.key;
  std::optional<store::ObjectHead> head;
  std::vector<uint8_t> tail;
  // The trailer's size depends on the format, which arrives with the same
  // answer: ask for the largest and keep the right number of last bytes.
  store::BodyRange range;
  range.suffix_length = crypto::kMaxTrailerSize;
  store.read(
      key, range, [&](const store::ObjectHead& h) { head = h; },
      [&](std::span<const uint8_t> bytes) {
        tail.insert(tail.end(), bytes.begin(), bytes.end());
        return true;
      });
  if (!head) throw Error(ErrorKind::internal, "store returned no object head");
  auto header = decode_for(head->header, target);
  const auto layout = crypto::Layout::for_header(header);
  auto size = layout.plain_size(head->body_size);
  if (!size || tail.size() != std::min<uint64_t>(head->body_size, crypto::kMaxTrailerSize)) {
    throw Error(ErrorKind::integrity, "stored object is damaged");
  }
  crypto::ObjectCipher cipher(keys, header, target.identity);
  const auto trailer = checked_trailer(cipher, std::span<const uint8_t>(tail).last(layout.trailer_size), *size, header);
  ObjectSummary s;
  s.format = header.version;
  s.size = *size;
  if (trailer.sha256) s.sha256_hex = to_hex(*trailer.sha256);
  s.md5 = trailer.md5;
  s.etag_parts = trailer.etag_parts;
  s.metadata = std::move(header.metadata);
  s.etag = etag_of(head->header);
  s.mtime_unix = head->mtime_unix;
  return s;
}

}  // namespace haul::gateway
