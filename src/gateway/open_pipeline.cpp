#include "gateway/open_pipeline.hpp"

#include <chrono>
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
    case RangeShape::Kind::unsatisfiable:
      break;
    case RangeShape::Kind::bounded: {
      auto cover = layout.cover(shape.first, shape.last);
      range.offset = cover.body_offset;
      range.length = cover.body_length;
      break;
    }
    case RangeShape::Kind::open_ended:
      range.offset = shape.first / layout.segment_size * sealed;
      break;
    case RangeShape::Kind::suffix: {
      // n plaintext bytes at the end span at most n/S + 1 segments before the
      // trailer (plus one more when the last segment is short).
      uint64_t segments = shape.suffix / layout.segment_size + 2;
      range.suffix_length = segments * sealed + crypto::kTrailerSize;
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

}  // namespace

std::string etag_of(std::span<const uint8_t> header) {
  auto decoded = crypto::decode_header(header);
  return "\"" + to_hex(std::span<const uint8_t>(decoded.salt.data(), 16)) + "\"";
}

void open_object(store::Store& store, const crypto::Keyring& keys, Metrics& metrics, const ReadTarget& target,
                 std::string_view range_header, const std::function<void(const ResponseStart&)>& start,
                 const std::function<bool(std::span<const uint8_t>)>& send) {
  const RangeShape shape = classify_range(range_header);
  // Segment size is per object (in its header) but the body range must be
  // chosen before the header arrives: objects are written with the default,
  // and a mismatch is detected below and answered by a second read.
  crypto::Layout guess{crypto::kDefaultSegmentSize};
  store::BodyRange asked = body_range_for(shape, guess);

  std::optional<ResponseStart> response;
  std::unique_ptr<crypto::ObjectCipher> cipher;
  std::unique_ptr<crypto::RangeDecryptor> decryptor;
  uint64_t body_pos = 0;       // body offset of the next byte the sink gets
  uint64_t wanted_from = 0;    // first body byte the decryptor needs
  uint64_t wanted_to = 0;      // one past the last
  bool started = false;
  bool stopped = false;
  bool layout_mismatch = false;
  std::vector<uint8_t> plain;

  const std::string& key = target.identity.key;
  auto on_head = [&](const store::ObjectHead& head) {
    auto header = decode_for(head.header, target);
    crypto::Layout layout{header.segment_size};
    auto size = layout.plain_size(head.body_size);
    if (!size) throw Error(ErrorKind::integrity, "stored object has an impossible length");
    ResponseStart r;
    r.object_size = *size;
    r.etag = etag_of(head.header);
    r.status = 200;
    r.content_length = *size;
    // An empty object still has one sealed (empty) final segment: it is
    // read and authenticated like any other.
    uint64_t first = 0, last = *size == 0 ? 0 : *size - 1;
    if (shape.kind != RangeShape::Kind::whole) {
      auto resolved = http::parse_range(range_header, *size);
      if (resolved.kind == http::RangeRequest::Kind::unsatisfiable) {
        r.status = 416;
        r.content_length = 0;
        r.content_range = http::unsatisfied_content_range(*size);
        response = r;
        return;
      }
      if (resolved.kind == http::RangeRequest::Kind::partial) {
        r.status = 206;
        first = resolved.range.first;
        last = resolved.range.last;
        r.content_length = last - first + 1;
        r.content_range = http::content_range(resolved.range, *size);
      }
    }
    response = r;
    cipher = std::make_unique<crypto::ObjectCipher>(keys, header, target.identity);
    decryptor = std::make_unique<crypto::RangeDecryptor>(*cipher, *size, first, last);
    const auto& cover = decryptor->cover();
    wanted_from = cover.body_offset;
    wanted_to = cover.body_offset + cover.body_length;
    body_pos = asked.suffix_length ? head.body_size - std::min(*asked.suffix_length, head.body_size) : asked.offset;
    uint64_t asked_end = asked.length ? asked.offset + *asked.length : head.body_size;
    if (header.segment_size != guess.segment_size || wanted_from < body_pos || wanted_to > asked_end) {
      layout_mismatch = true;  // read again with the exact range below
    }
  };

  auto release = [&](std::span<const uint8_t> bytes) -> bool {
    if (!started) {
      start(*response);
      started = true;
    }
    return bytes.empty() || send(bytes);
  };

  auto sink = [&](std::span<const uint8_t> bytes) -> bool {
    if (stopped || response->status == 416 || layout_mismatch) return false;
    // Skip what lies before the cover (suffix reads ask for a little more).
    uint64_t end = body_pos + bytes.size();
    uint64_t from = std::max(body_pos, wanted_from);
    uint64_t to = std::min(end, wanted_to);
    body_pos = end;
    if (from >= to) return end < wanted_to;
    plain.clear();
    {
      DecryptTimer timer(metrics);
      decryptor->update(bytes.subspan(from - (end - bytes.size()), to - from), plain);
    }
    if (!plain.empty() && !release(plain)) {
      stopped = true;
      return false;
    }
    return end < wanted_to;
  };

  store.read(key, asked, on_head, sink);
  if (layout_mismatch && response && response->status != 416) {
    // Unusual segment size or a range the first guess did not cover: one
    // more read with the exact cover.
    layout_mismatch = false;
    store::BodyRange exact{wanted_from, wanted_to - wanted_from, std::nullopt};
    asked = exact;
    store.read(key, exact, [&](const store::ObjectHead&) { body_pos = wanted_from; }, sink);
  }
  if (!response) throw Error(ErrorKind::internal, "store returned no object head");
  if (response->status == 416) {
    start(*response);
    return;
  }
  if (stopped) return;
  decryptor->finish();  // throws integrity when covering bytes were missing
  if (!started) release({});
}

ObjectSummary summarize_object(store::Store& store, const crypto::Keyring& keys, const ReadTarget& target) {
  const std::string& key = target.identity.key;
  std::optional<store::ObjectHead> head;
  std::vector<uint8_t> tail;
  store::BodyRange range;
  range.suffix_length = crypto::kTrailerSize;
  store.read(key, range, [&](const store::ObjectHead& h) { head = h; },
             [&](std::span<const uint8_t> bytes) {
               tail.insert(tail.end(), bytes.begin(), bytes.end());
               return true;
             });
  if (!head) throw Error(ErrorKind::internal, "store returned no object head");
  auto header = decode_for(head->header, target);
  crypto::Layout layout{header.segment_size};
  auto size = layout.plain_size(head->body_size);
  if (!size || tail.size() != crypto::kTrailerSize) throw Error(ErrorKind::integrity, "stored object is damaged");
  crypto::ObjectCipher cipher(keys, header, target.identity);
  auto trailer = cipher.open_trailer(tail);
  if (!trailer || trailer->plain_size != *size) throw Error(ErrorKind::integrity, auth_failure(header, "trailer"));
  ObjectSummary s;
  s.format = header.version;
  s.size = *size;
  s.sha256_hex = to_hex(trailer->sha256);
  s.etag = etag_of(head->header);
  s.mtime_unix = head->mtime_unix;
  return s;
}

}  // namespace haul::gateway
