#pragma once
// Which TCP congestion control should send the next burst (one request or
// response body) on a connection, chosen per burst from the kernel's own view
// of the socket (TCP_INFO). Both ends use it for what they send: the client
// for upload bodies, the gateway for download bodies.
//
// Why per burst, measured on the emulated 200 ms / 100 Mbit/s link with one
// reused connection (docs/benchmarks.md, "congestion control per burst"):
//  - cubic sends a burst that fits its window at once, unpaced, so a warm
//    connection carries it in 1 RTT + size/rate: 100 KiB in 212 ms, 1 MiB in
//    292 ms (limit 208 / 284). bbr paces at a bandwidth it estimated from the
//    earlier, application-limited bursts: 310 and 316 ms.
//  - after the connection sat idle longer than its RTO, the kernel cuts
//    cubic's window before sending (net.ipv4.tcp_slow_start_after_idle=1,
//    the default; RFC 2861): 1 MiB took 1016-1220 ms instead of 290. The
//    kernel skips that cut for bbr (it has its own idle handling).
//  - a burst far larger than the window has to probe for bandwidth; cubic's
//    slow start overshoots the bottleneck queue and pays for the losses
//    (10 MiB: cubic median 1290 ms, bbr 1080, limit 1039).
// Switching algorithms re-initialises the new one's state but keeps the
// window the connection earned (the kernel's tcp_reinit_congestion_control);
// a freshly initialised bbr paces at 2.89 x window / RTT, so the earned
// window goes out at line rate.

#include <cstdint>
#include <string>

#include "net/tcp_info.hpp"

namespace haul::net {

// "auto" chooses per burst; any other name pins that algorithm for the
// socket's life; empty leaves the host's default alone.
inline constexpr const char* congestion_auto = "auto";

struct BurstFacts {
  uint64_t bytes = 0;    // about to be sent
  uint32_t idle_ms = 0;  // TCP_INFO last_data_sent
  uint32_t rto_us = 0;
  uint32_t cwnd_segments = 0;
  uint32_t mss = 0;
  uint64_t bytes_sent = 0;  // data sent so far: 0 on a fresh connection
  bool bbr_in_force = false;
};

// Bursts up to this size stay on cubic even beyond the window: its slow start
// was as fast or faster there (first 1 MiB on a new connection: 1623 vs
// 1707 ms) and it leaves the socket unpaced.
inline constexpr uint64_t cubic_burst_min = 1 << 20;

struct SendChoice {
  std::string algorithm;  // "cubic" or "bbr"
  bool restart = false;   // re-initialise it even when it is already in force
};

// The policy above, a pure function (testable without sockets):
//  - idle longer than the RTO on a used connection: bbr, started afresh, so
//    it paces from the window the connection had (which cubic would lose),
//    unless the burst is also beyond the window and 1 MiB: then bbr keeps
//    its model (a big burst restarted bursts the whole window into the
//    bottleneck queue: 10 MiB edge uploads after 2 s idle, 1705 ms restarted
//    vs 1343 kept, limit 1039);
//  - a burst larger than both the window and cubic_burst_min: bbr, keeping
//    its bandwidth model when it is already in force (started afresh with a
//    window larger than the path holds, it bursts into the bottleneck queue:
//    measured 1305 ms and retransmits for 10 MiB where the kept model took
//    1080); cubic's probing would overshoot the queue or, under loss,
//    collapse (1 % loss: 0.8 Mbit/s);
//  - a burst within the window on a used socket where bbr is in force: bbr again,
//    started afresh (so it paces from the window, at 2.89 x window / RTT).
//    Once bbr has run on a socket the kernel keeps pacing it, so cubic would
//    pace too, and slower (1.2 x window / RTT); and cubic halves a window
//    its small bursts do not fill, once per RTO since the window last
//    changed (RFC 2861 validation, kernel tcp_cwnd_application_limited),
//    which bbr's idle time never updates: through the edge, 1 KiB uploads
//    with ~0.6 s between them took the edge's side of its connection from
//    737 segments to 373 to 191 (exactly halfway to the used window each
//    time), and the 100 KiB uploads after them paced at ~30 Mbit/s: 1.13x
//    the limit instead of 1.04x;
//  - anything else (a socket bbr never ran on): cubic, which sends a burst
//    that fits its window at once, unpaced.
SendChoice choose_send_congestion(const BurstFacts& facts);

// True when the kernel is about to cut the window before the next send
// (its tcp_slow_start_after_idle_check): a used connection idle longer than
// its RTO, on an algorithm without its own idle handling (anything but bbr).
bool window_cut_due(const BurstFacts& facts);

// setsockopt(TCP_CONGESTION); false when the host does not allow the name.
bool set_congestion(int fd, const std::string& name);

// For a send too small to need an algorithm of its own: a status line and a
// JSON answer, an interim 100, HTTP/2's WINDOW_UPDATE and SETTINGS frames.
// Only idle matters there: cubic's window would be cut to the initial 10
// segments before these few bytes go, and the next download on the
// connection would start from that. Measured through the edge on the 200 ms /
// 100 Mbit/s link, a PUT's answer after idle left the gateway's side of the
// connection at 10 segments (from 736) and the 100 KiB GET after it took
// 824 ms instead of ~215. So when window_cut_due, bbr takes over (the kernel
// leaves its window alone); otherwise the algorithm in force stays. Returns it.
std::string keep_window_after_idle(int fd);

// A bbr flow that shared the bottleneck with others grows into the bandwidth
// they leave by a quarter per probing cycle (8 round trips: 1.6 s at 200 ms),
// so at the end of a parallel upload the last parts ran alone at their old
// share: in one 200 MiB upload at 1 % loss the last part carried the link at
// 12 Mbit/s for 2.3 s while seven connections idled. Restarted, bbr is in its
// startup again (pacing gain 2.89 from the window it has), and takes the
// freed bandwidth in a few round trips. True for a socket on bbr with data in
// flight: one that is sending a body now (a download's socket has nothing
// unacknowledged), the others have nothing to gain.
bool takes_freed_bandwidth_by_restart(const TcpInfo& info);
// Restarts bbr on fd when takes_freed_bandwidth_by_restart; true if it did.
bool restart_bbr_while_sending(int fd);

// Reads the socket's TCP_INFO, chooses, and sets TCP_CONGESTION when it
// differs from the current one (or restarts it). Returns the algorithm in force afterwards
// ("" when the socket is not TCP). An algorithm the host does not allow
// (net.ipv4.tcp_allowed_congestion_control, or not loaded) leaves the socket
// as it was: the choice is an optimisation, never an error.
std::string set_send_congestion(int fd, uint64_t bytes);

}  // namespace haul::net
