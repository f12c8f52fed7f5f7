#pragma once
// How much plaintext a download decrypts per step on the blocking pool
// (sans-IO: the caller reports what it saw after each piece's write).
//
// Every step is two thread hops: the I/O thread wakes a pool thread, the
// pool thread's completion wakes the I/O thread (futex and epoll_ctl). At
// 256 KiB that is 4096 steps per GiB, and on this project's 2-core VM the
// hops were a third of the gateway's CPU samples during a 1 GiB GET on
// loopback (`perf record`; 1 MiB pieces: 14 %). A large piece costs memory
// for as long as the download lives (two pieces are held: the one being
// sent and the next), and a client that stops reading keeps it; a stalled
// download held ~420 KiB with 256 KiB pieces (docs/benchmarks.md).
//
// Rule: pieces start small and grow to the large size only after the
// client took kStreakToGrow small pieces in a row as fast as they were
// decrypted (each write done before the next piece was ready), i.e. after
// at least 8 MiB that the socket accepted at once: twice the 4 MiB of unsent
// bytes a long-link socket accepts before it makes a writer wait
// (net/send_buffer.hpp), so a client that never reads does not get there
// through the kernel's buffer alone. The first write that outlasts a
// decryption returns to small pieces (the client, not the CPU, is the limit
// then, so the hops cost no time).

#include <algorithm>
#include <cstddef>

namespace haul::gateway {

class PieceSize {
 public:
  static constexpr size_t kSmall = 256 * 1024;
  static constexpr size_t kLarge = 1024 * 1024;
  static constexpr unsigned kStreakToGrow = 32;

  size_t current() const { return streak_ >= kStreakToGrow ? kLarge : kSmall; }

  // After a piece's write: kept_up is true when the write ended while the
  // next piece was still being decrypted.
  void written(bool kept_up) { streak_ = kept_up ? std::min(streak_ + 1, kStreakToGrow) : 0; }

 private:
  unsigned streak_ = 0;
};

}  // namespace haul::gateway
