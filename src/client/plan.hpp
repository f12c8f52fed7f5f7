#pragma once
// Sans-IO planning of parallel transfers: how an object of N bytes is cut
// into parts (uploads) or ranges (downloads), and when cutting is worth it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/stripes.hpp"

namespace haul::client {

struct Span {
  uint32_t number = 0;  // 1-based part number (the parts API numbers from 1)
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Parts [(n-1)*P, min(n*P, size)), n = 1..ceil(size/P); one empty span for
// size 0 so a zero-byte object is still one request. part_size > 0.
std::vector<Span> plan_spans(uint64_t size, uint64_t part_size);

// Parts API only when the object has at least two full parts: below that the
// create and complete round trips cost more than parallelism gains.
bool use_parts(uint64_t size, uint64_t part_size);

// Part size that spreads size over `connections` parts, rounded up to a
// multiple of the 64 KiB segment (bench --mode pool).
uint64_t spread_part_size(uint64_t size, unsigned connections);

// The gateway's limit on parts per upload (docs/api.md).
inline constexpr uint64_t kMaxUploadParts = 10000;

// The part size for a parts upload over `connections`: at most `part_size`,
// a multiple of the 64 KiB segment, with the part count rounded up to a
// multiple of `connections` so the last round of parts is a full one. A lone
// last part runs at one connection's share of the window while the others
// idle: 200 MiB in 8 MiB parts is 25 parts, and the 25th carried the link
// alone at ~23 Mbit/s for up to 1.9 s; in 32 parts of 6.25 MiB the upload
// took 19.98 s against 20.79 (medians of 5, docs/client.md "Parts in full
// rounds"). `part_size` itself when balancing would pass kMaxUploadParts.
uint64_t balanced_part_size(uint64_t size, uint64_t part_size, unsigned connections);

// Stripes for the first upload of a cold pool (core/stripes.hpp): as many
// stripes of ~12 KiB as the object needs, at most max_stripes. A fresh
// connection's initial window is 10 packets; libcurl sends the request's
// headers as one packet and 12 KiB of body as 9 more (1448-byte segments on a
// 1500-byte-MTU path), so each stripe leaves whole in the first flight after
// the handshake. (13 KiB needs an 11th packet: measured 720 ms instead of
// 520 for a cold 1 MiB at 200 ms RTT.) nullopt when stripes do not pay:
// max_stripes < 2, an object one window carries anyway (< 2 stripes' worth),
// or one beyond kMaxStripedSize.
inline constexpr uint64_t kStripeTarget = 12 * 1024;
// Over TLS the first flight after the handshake also carries the client's
// Finished (one more packet) and each record's 22 bytes: 12 KiB stripes need
// an 11th packet, one more round trip (measured: cold 1 MiB over TLS at
// 200 ms RTT took 1060-1130 ms against 620 plain). 10 KiB leaves the packet.
inline constexpr uint64_t kStripeTargetTls = 10 * 1024;
// Stripes go out only over connections whose handshake measured at least this
// RTT: one plain PUT needs ~6 more round trips of slow start for 1 MiB, while
// 80 stripes cost the gateway ~45 ms of per-request work (loopback, 2 cores:
// 52 ms striped vs 8 ms plain), so below ~10 ms stripes lose. The client falls
// back to one PUT when they are declined.
inline constexpr uint32_t kStripeMinRttUs = 20000;
// Probing an unknown path with one stripe (or cold range): the others go once
// the probe's connection measured a long path, or once its handshake has taken
// longer than a short path's would.
inline bool probe_releases_the_rest(std::optional<uint32_t> path_rtt_us, std::chrono::steady_clock::duration waited) {
  return (path_rtt_us && *path_rtt_us >= kStripeMinRttUs) || waited >= std::chrono::microseconds(kStripeMinRttUs);
}
std::optional<StripeLayout> plan_stripes(uint64_t size, unsigned max_stripes, uint64_t target = kStripeTarget);
// How many stripes or cold ranges of `target` bytes one cold transfer may
// send at once: at most cold_stripes, and no more than cold_flight bytes of
// them together (each leaves in its connection's first flight); 0 when that
// is fewer than two.
unsigned cold_request_limit(unsigned cold_stripes, uint64_t cold_flight, uint64_t target);

// Ranges for the first download of a cold pool: `count` ranges of
// `range_size` bytes from offset 0, asked for at once, each over its own fresh
// connection, before the object's size is known (the HEAD that tells it goes
// beside them). Each answer fits the gateway's initial window of 10 packets
// (the same arithmetic as an upload's stripes, answer headers instead of
// request headers), so an object up to count * range_size arrives in the
// first flight after the handshakes instead of slow start's several round
// trips on one connection. Over TLS as well: the server's flight after the
// handshake carries its session tickets and the answer, not the client's
// Finished (curl fetched 12 KiB in 3 RTT over TLS on the emulated link; 10
// KiB ranges left 1 MiB short of one flight at 96 and took 1.1-1.3 s, not
// ~0.7). Ranges past the end are answered 416 with the
// size (no body); those not yet sent when the size is known are not sent.
// What lies beyond them goes as ranges over the connections they opened:
// spread over all of them for an object up to kMaxStripedSize, else over
// `rest_connections` (--connections) with that many in flight.
struct ColdRanges {
  uint32_t count = 0;
  uint64_t range_size = 0;
  unsigned rest_connections = 1;
};
// nullopt when max_stripes (--cold-stripes) is below 2.
std::optional<ColdRanges> plan_cold_ranges(unsigned max_stripes, uint64_t target, unsigned rest_connections);

// Parses "bytes a-b/total" (Content-Range of a 206) or "bytes */total" (416).
struct ContentRange {
  std::optional<uint64_t> first, last;  // absent for "*/total"
  uint64_t total = 0;
};
std::optional<ContentRange> parse_content_range(std::string_view value);

// "bytes=a-b" for a span (length > 0).
std::string range_header_value(const Span& span);

}  // namespace haul::client
