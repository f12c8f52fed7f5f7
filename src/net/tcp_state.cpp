#include "net/tcp_state.hpp"

#include <array>

namespace haul::net {

namespace {
constexpr std::array<std::string_view, 13> kNames = {
    "unknown", "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2",   "time_wait",
    "close",   "close_wait",  "last_ack", "listen",   "closing",   "new_syn_recv"};
constexpr std::array<std::string_view, 13> kLabels = {
    "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
    "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
}  // namespace

std::string_view tcp_state_name(uint8_t state) noexcept {
  return state < kNames.size() ? kNames[state] : kNames[0];
}

std::string_view tcp_state_label(uint8_t state) noexcept {
  return state < kLabels.size() ? kLabels[state] : kLabels[0];
}

std::optional<uint8_t> tcp_state_from_name(std::string_view name) noexcept {
  for (size_t i = 1; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<uint8_t>(i);
  return std::nullopt;
}

}  // namespace haul::net
