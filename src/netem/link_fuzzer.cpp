// Drives one Link with an operation stream decoded from the input and checks
// its invariants: order preserved, due times non-decreasing and never before
// the arrival + delay, every offered packet accounted for exactly once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "netem/link.hpp"

using namespace haul::netem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  LinkConfig c;
  c.delay = std::chrono::microseconds(data[0] * 100);
  c.rate_bps = data[1] == 0 ? 0 : uint64_t{data[1]} * 100000;
  c.queue_bytes = uint64_t{data[2]} * 200;
  c.loss = data[3] / 512.0;
  c.seed = data[4];
  validate(c);
  Link link(c);
  Time now{};
  std::deque<TimedPacket> out;
  uint32_t seq = 0;
  for (size_t i = 5; i + 1 < size; i += 2) {
    now += std::chrono::microseconds(data[i] & 0x3f);
    if (data[i] & 0x80) {
      link.pop_ready(now, out);
    } else {
      Bytes p(4 + data[i + 1] * 6u, 0);
      for (int k = 0; k < 4; ++k) p[k] = static_cast<uint8_t>(seq >> (8 * k));
      ++seq;
      link.push(std::move(p), now);
    }
    if (auto due = link.next_due(); due && *due < now - std::chrono::hours(1)) std::abort();
  }
  link.pop_ready(now + std::chrono::hours(24), out);
  if (link.next_due()) std::abort();
  const auto& s = link.stats();
  if (s.offered != seq || s.offered != s.lost + s.queue_drops + s.delivered || out.size() != s.delivered) std::abort();
  uint32_t last = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t cur = 0;
    for (int k = 0; k < 4; ++k) cur |= uint32_t{out[i].bytes[k]} << (8 * k);
    if (i > 0 && (cur <= last || out[i].due < out[i - 1].due)) std::abort();
    last = cur;
  }
  return 0;
}
