#pragma once
// Upload of one object, as an explicit state machine:
//
//   start ─┬─ cold ────► striping (K stripe PUTs at once, each on its own
//          │             fresh connection; one answers 201) ──► done
//          │             ├─ path RTT unknown: stripe 0 goes first as the probe;
//          │             │  the others follow once its connection measured
//          │             │  RTT >= kStripeMinRttUs or that long has passed
//          │             │  without a handshake; declined (short path) ──► single
//          │             └─ no 201 (stripes met different gateways, or one
//          │                failed) ──► single
//          ├─ small ──► single (PUT /v1/objects/K) ──► done
//          └─ big ────► creating (POST /v1/uploads) ──► parts (PUT part n, in
//                       parallel over the pool) ──► completing (POST complete
//                       with the whole file's SHA-256) ──► done
//   any failure after the upload exists ──► aborting (DELETE /v1/uploads/ID,
//   once no part is in flight) ──► failed
//
// End to end: the SHA-256 of the bytes sent (per part and whole) must equal
// the gateway's answer, else the op fails with ErrorKind::integrity.

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/io.hpp"
#include "client/op.hpp"
#include "client/plan.hpp"

namespace haul::client {

class PutOp final : public Op {
 public:
  // part_size: parts are used when the object holds at least two of them.
  // stripes: send the object as these stripes (plan_stripes; for the first
  // upload of a cold pool, widened to as many connections). probe_first: the
  // path's RTT is unknown, so stripe 0 finds it out before the others go.
  PutOp(RequestPool& pool, std::shared_ptr<const Source> source, std::string key, uint64_t part_size,
        bool fresh_connection = false, std::optional<StripeLayout> stripes = std::nullopt, bool probe_first = false);
  std::unique_ptr<Request> next() override;
  void done(std::unique_ptr<Request> r) override;
  void interrupt() override;
  std::optional<std::chrono::steady_clock::time_point> wake_at() const override;

 private:
  enum class State { start, striping, single, creating, parts, completing, aborting, done };

  std::unique_ptr<Request> make_stripe(uint32_t index);
  std::unique_ptr<Request> make_single();
  std::unique_ptr<Request> make_create();
  std::unique_ptr<Request> make_part(const Span& span);
  std::unique_ptr<Request> make_complete();
  std::unique_ptr<Request> make_abort();
  // Probing: false while stripes 1.. must wait for what stripe 0 learns.
  bool may_send_stripe();
  void on_stripe(Request& r);
  // The object is stored (one PUT, or the parts completed): the gateway's
  // digest must be the one of the bytes sent.
  void on_stored(const Request& r, const std::string& sent_sha256);
  void on_create(Request& r);
  void on_part(Request& r);
  // Fatal failure: abort the upload if one exists, then fail with `error`.
  void give_up(Error error);

  std::shared_ptr<const Source> source_;
  uint64_t part_size_;
  bool fresh_;
  State state_ = State::start;
  std::unique_ptr<Request> ready_;  // the next single-step request
  RetryQueue retries_;
  std::vector<Span> spans_;
  size_t next_span_ = 0, parts_done_ = 0;
  std::string upload_id_;
  std::optional<StripeLayout> stripes_;
  std::string stripe_upload_;  // drawn by us, names the stripes' upload on the gateway
  uint32_t next_stripe_ = 0, stripes_answered_ = 0;
  bool stripes_held_ = false;  // probing: stripes 1.. wait for stripe 0's connection
  std::chrono::steady_clock::time_point probe_sent_{};
  bool stripes_committed_ = false;
  std::optional<Error> stripe_error_;  // why the stripes fell back to one PUT
  std::future<std::string> whole_sha_;
  std::optional<Error> pending_error_;
};

}  // namespace haul::client
