#pragma once
// Download of one object, as an explicit state machine:
//
//   first: HEAD (X-Haul-Sha256, ETag, Content-Length) and, at the same time
//          on another pool connection, GET with Range: bytes=0-(P-1) (a plain
//          GET to a pipe). The gateway sends the SHA-256 only on HEAD (it
//          lives in the stored trailer), so asking in parallel costs no round
//          trip.
//   ranges: once the HEAD tells the size (one round trip), the rest in
//          parallel Range requests, each written at its offset, while the
//          first range is still arriving (it becomes range 1); if the first
//          GET finishes first, its Content-Range tells the size instead.
//   verify: SHA-256 of the bytes (streamed, or read back after parallel
//           ranges) must equal the HEAD's X-Haul-Sha256 and every answer's
//           ETag the HEAD's (same stored version), then the sink commits.
//
// Cold (the first download of a fresh process over a long path, plan.hpp
// ColdRanges):
//   striping: HEAD and K small ranges from offset 0 at once, each range over
//          its own fresh connection, so up to K initial windows' worth of the
//          object arrives one round trip after the handshakes; every answer
//          (206, or 416 past the end) tells the size, and ranges not yet sent
//          past it are dropped. With the path's RTT unknown, range 1 goes
//          first as the probe (like an upload's stripe 0); on a short path
//          it is declined before a byte is sent and the download goes the
//          usual way (first).
//   ranges: the rest of a bigger object, then verify as above.
//
// A small object the listing sized (recursive get, listed_size up to
// kDigestInAnswerUpTo): the first range alone, no HEAD. The gateway reads a
// small whole object with its trailer in one store read and sends the
// trailer's SHA-256 with the body (X-Haul-Sha256 on the GET); only when it
// does not (an older gateway, or the object grew since the listing) does the
// HEAD follow. A thousand small files then take a thousand streams, not two
// thousand.
//
// The tail: once every range has been asked for and a connection comes
// free, the range in flight with the most bytes still to come (at least
// kTailSplitMin) is split in two. Its request stops at the split point
// (Request::stop_after; its connection closes) and the rest goes as a new
// range over the free connection, so the last seconds of a download are not
// one or two slow connections alone (docs/client.md "The tail of a
// download"). Not for a recursive get, whose files share the connections.
//
// With a known size and SHA-256 (bench), no HEAD, and all ranges start at
// once. Any failure leaves the sink uncommitted (TempFileSink removes its
// temp file).

#include <chrono>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/io.hpp"
#include "client/op.hpp"
#include "client/plan.hpp"

namespace haul::client {

// Listed objects up to this size are asked for without a HEAD: their stored
// body (plaintext, 16 bytes per 64 KiB segment and the trailer) fits the
// gateway's one whole read (gateway/open_pipeline.hpp kWholeReadLimit, 256
// KiB), whose answer carries the SHA-256.
constexpr uint64_t kDigestInAnswerUpTo = 192 * 1024;

// A range in flight is split only while this much of it is still to come:
// each half then takes at least a second at 8 Mbit/s, several round trips of
// a long path, so the new request's round trip is paid back.
constexpr uint64_t kTailSplitMin = 2 << 20;

class GetOp final : public Op {
 public:
  // sink must outlive the op.
  // known_size and known_sha256 go together (bench: it uploaded the object).
  GetOp(RequestPool& pool, std::string key, Sink& sink, uint64_t part_size, std::optional<uint64_t> known_size = {},
        std::string known_sha256 = {}, bool fresh_connection = false);
  // The op owns its sink (recursive get: one temp file per object);
  // listed_size is what the listing said the object holds.
  GetOp(RequestPool& pool, std::string key, std::unique_ptr<Sink> sink, uint64_t part_size,
        std::optional<uint64_t> listed_size = std::nullopt);
  // The first download of a cold pool (sink random-access): cold ranges;
  // probe_first when the path's RTT is unknown.
  GetOp(RequestPool& pool, std::string key, Sink& sink, uint64_t part_size, const ColdRanges& cold, bool probe_first);
  std::unique_ptr<Request> next() override;
  void done(std::unique_ptr<Request> r) override;
  void interrupt() override;
  std::optional<std::chrono::steady_clock::time_point> wake_at() const override;

 private:
  enum class State { start, striping, first, ranges, done };

  std::unique_ptr<Request> make_head();
  std::unique_ptr<Request> make_get(std::optional<Span> span);
  // The HEAD's X-Haul-Sha256 becomes what the download must hash to.
  void take_digest(const Request& head);
  void on_head(Request& r);
  void on_first(Request& r);
  // HEAD and first GET both answered (or the SHA was known): go on.
  void after_first();
  // Plans the ranges of an object of `size` bytes (plan_spans); the first
  // `sent` were already asked for, `done` of those already arrived.
  void begin_ranges(uint64_t size, size_t sent, size_t done);
  void on_range(Request& r);
  // The tail (above): a new range for the second half of the in-flight
  // range with the most bytes to come, or nullptr.
  std::unique_ptr<Request> split_slowest_range();
  // Cold ranges (state striping).
  std::unique_ptr<Request> make_cold_range(uint32_t index);
  bool cold_ranges_unsent() const;
  bool may_send_cold_range();
  void on_striping_answer(std::unique_ptr<Request> r);
  void on_cold_range(const Request& r);
  // The probe met a short path: the usual HEAD-and-first-range download.
  void fall_back_from_cold();
  // Every answer names the object's size: the first tells it, the others must agree.
  void learn_size(uint64_t size);
  // An answer's ETag must match the others' (the same stored version).
  void check_etag(const Request& r);
  // The HEAD is in, the size known and every cold range sent (and, unless
  // the object is big, answered): the rest or verify. Once the rest has
  // begun: a late cold range has landed, finish if it was the last.
  void after_striping();
  bool is_cold_range(const Request& r) const;
  // Every range and every cold range is in: check the digest and commit.
  void finish_when_all_in();
  // All bytes are in the sink: check the digest and commit.
  void verify_and_commit(const std::string& digest);

  std::unique_ptr<Sink> owned_sink_;
  Sink& sink_;
  uint64_t part_size_;
  std::optional<uint64_t> known_size_;
  bool fresh_;
  State state_ = State::start;
  std::vector<std::unique_ptr<Request>> ready_;
  RetryQueue retries_;
  std::vector<Span> spans_;  // ranges still to start
  size_t next_span_ = 0, ranges_left_ = 0;
  uint64_t size_ = 0;
  std::string expected_sha_, etag_;
  bool head_done_ = false, first_done_ = false;
  bool head_deferred_ = false;      // a small listed object: the HEAD only if the first answer has no digest
  std::unique_ptr<Request> first_;  // the first GET's answer, kept until the HEAD is in
  bool plain_fallback_ = false;     // the first answer was 416 on an empty object
  bool first_is_range_ = false;     // the first GET asks for bytes 0..P-1
  std::optional<ColdRanges> cold_;
  bool cold_held_ = false;  // probing: cold ranges 2.. wait for range 1's connection
  uint32_t next_cold_ = 0, cold_answered_ = 0;
  size_t cold_in_flight_ = 0;  // cold ranges with the pool (the rest may start before they land)
  std::chrono::steady_clock::time_point probe_sent_{};
  bool size_known_ = false;  // size_ holds the object's size (striping)
  // Ranges in flight at most (after cold ranges; otherwise the pool's limit).
  unsigned rest_in_flight_ = UINT_MAX;
  bool split_tail_ = true;                  // false for a recursive get's files
  std::vector<Request*> ranges_in_flight_;  // owned by the pool until done()
};

}  // namespace haul::client
