// What every store shares beyond its interface: the push-style read over
// open(). Stores implement open() only.
#include "store/store.hpp"

#include <algorithm>
#include <vector>

namespace haul::store {

namespace {
constexpr size_t kReadPiece = 256 * 1024;
}

void Store::read(std::string_view key, const BodyRange& range, const std::function<void(const ObjectHead&)>& on_head,
                 const BodySink& sink) {
  std::unique_ptr<BodyReader> reader = open(key, range);
  const ObjectHead& head = reader->head();
  on_head(head);
  uint64_t at_most = range.suffix_length ? *range.suffix_length
                     : range.length      ? *range.length
                                         : head.body_size - std::min(range.offset, head.body_size);
  std::vector<uint8_t> buffer(static_cast<size_t>(std::clamp<uint64_t>(at_most, 1, kReadPiece)));
  for (;;) {
    size_t got = reader->read(buffer);
    if (got == 0 || !sink(std::span<const uint8_t>(buffer.data(), got))) return;
    if (got < buffer.size()) return;  // fewer bytes only at the end
  }
}

}  // namespace haul::store
