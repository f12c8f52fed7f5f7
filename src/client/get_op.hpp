#pragma once
// Download of one object, as an explicit state machine:
//
//   first: GET with Range: bytes=0-(P-1) (plain GET to a pipe). The answer
//          tells the size (Content-Range) and the SHA-256 (X-Haul-Sha256).
//   ranges: the rest in parallel Range requests, each written at its offset.
//   verify: SHA-256 of the bytes (streamed, or read back after parallel
//           ranges) must equal X-Haul-Sha256, then the sink commits (rename).
//
// With a known size (bench), all ranges start at once. Any failure leaves the
// sink uncommitted (TempFileSink removes its temp file).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/io.hpp"
#include "client/op.hpp"
#include "client/plan.hpp"

namespace haul::client {

class GetOp final : public Op {
 public:
  // sink must outlive the op.
  GetOp(Pool& pool, std::string key, Sink& sink, uint64_t part_size, std::optional<uint64_t> known_size = {},
        bool fresh_connection = false);
  // The op owns its sink (recursive get: one temp file per object).
  GetOp(Pool& pool, std::string key, std::unique_ptr<Sink> sink, uint64_t part_size);
  std::unique_ptr<Request> next() override;
  void done(std::unique_ptr<Request> r) override;
  void interrupt() override;

 private:
  enum class State { start, first, ranges, done };

  std::unique_ptr<Request> make_get(std::optional<Span> span);
  void on_first(Request& r);
  void on_range(Request& r);
  // All bytes are in the sink: check the digest and commit.
  void verify_and_commit(const std::string& digest);

  std::unique_ptr<Sink> owned_sink_;
  Sink& sink_;
  uint64_t part_size_;
  std::optional<uint64_t> known_size_;
  bool fresh_;
  State state_ = State::start;
  std::unique_ptr<Request> ready_;
  RetryQueue retries_;
  std::vector<Span> spans_;          // ranges still to start
  size_t next_span_ = 0, ranges_left_ = 0;
  uint64_t size_ = 0;
  std::string expected_sha_;
  bool plain_fallback_ = false;      // the first answer was 416 on an empty object
};

}  // namespace haul::client
