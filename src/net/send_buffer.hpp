#pragma once
// A send buffer large enough for a long, lossy link, set per socket.
//
// The kernel grows a socket's send buffer by itself, but only up to
// net.ipv4.tcp_wmem's maximum (4 MiB by default). On a 200 ms, 100 Mbit/s
// path that is too small as soon as anything goes wrong: the buffer holds
// every unacknowledged byte (one bandwidth-delay product, 2.5 MB, plus the
// kernel's per-packet overhead) and, under loss, the segments waiting behind
// a hole. Measured on the emulated link: a warm 10 MiB download took 1274 ms
// with the default maximum and 1076 ms with 16 MiB (limit 1039); the issue's
// figures for 1 % loss: one bbr stream 27-45 Mbit/s, 80 with 64 MiB.
//
// SO_SNDBUFFORCE (needs CAP_NET_ADMIN) sets any size; otherwise SO_SNDBUF is
// capped by net.core.wmem_max and is used only when that beats autotuning
// (the kernel doubles the value it is given). Either way the buffer stops
// autotuning, so TCP_NOTSENT_LOWAT bounds what waits unsent in the kernel:
// memory then follows the congestion window, not the buffer's size.

#include <cstdint>

namespace haul::net {

inline constexpr uint64_t long_link_send_buffer = 32ull << 20;  // effective bytes (after the kernel's doubling)
inline constexpr uint32_t long_link_notsent_lowat = 4u << 20;

// What a socket's send buffer should be set to, given the kernel's limits:
// the SO_SNDBUF argument (half the effective size), or 0 to leave autotuning
// alone because it would do as well. Pure function.
struct SendBufferLimits {
  uint64_t autotune_max = 0;  // net.ipv4.tcp_wmem[2]
  uint64_t wmem_max = 0;      // net.core.wmem_max (SO_SNDBUF's cap)
  bool may_force = false;     // CAP_NET_ADMIN: SO_SNDBUFFORCE ignores wmem_max
};
uint64_t send_buffer_request(uint64_t want_effective, const SendBufferLimits& limits);

// Applies long_link_send_buffer to a connected or listening TCP socket (a
// listener's setting is inherited by accepted sockets). Returns the
// effective size now in force (SO_SNDBUF), or 0 when it was left alone.
// Never fails: a smaller buffer is slower, not wrong.
uint64_t enlarge_send_buffer(int fd);

}  // namespace haul::net
