#pragma once
// Names of the kernel's TCP states (include/net/tcp_states.h) as lower_snake,
// the spelling used by /metrics (haul_sockets{state}) and doctor's JSON.

#include <cstdint>
#include <optional>
#include <string_view>

namespace haul::net {

// TCP_ESTABLISHED (1) .. TCP_NEW_SYN_RECV (12); "unknown" outside that range.
std::string_view tcp_state_name(uint8_t state) noexcept;
// Upper-case form as ss and netstat print it ("ESTAB" is spelled out: ESTABLISHED).
std::string_view tcp_state_label(uint8_t state) noexcept;
// Inverse of tcp_state_name; nullopt for an unknown name.
std::optional<uint8_t> tcp_state_from_name(std::string_view name) noexcept;

// The kernel's numbering, so callers need not include <netinet/tcp.h>.
enum TcpState : uint8_t {
  tcp_established = 1,
  tcp_syn_sent = 2,
  tcp_syn_recv = 3,
  tcp_fin_wait1 = 4,
  tcp_fin_wait2 = 5,
  tcp_time_wait = 6,
  tcp_close = 7,
  tcp_close_wait = 8,
  tcp_last_ack = 9,
  tcp_listen = 10,
  tcp_closing = 11,
  tcp_new_syn_recv = 12,
};

}  // namespace haul::net
