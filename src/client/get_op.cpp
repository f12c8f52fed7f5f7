#include "client/get_op.hpp"

#include <algorithm>
#include <charconv>

namespace haul::client {

GetOp::GetOp(RequestPool& pool, std::string key, Sink& sink, uint64_t part_size, std::optional<uint64_t> known_size,
             std::string known_sha256, bool fresh_connection)
    : Op(pool, "get", std::move(key)),
      sink_(sink),
      part_size_(part_size),
      known_size_(known_size),
      fresh_(fresh_connection) {
  expected_sha_ = std::move(known_sha256);
}

GetOp::GetOp(RequestPool& pool, std::string key, std::unique_ptr<Sink> sink, uint64_t part_size,
             std::optional<uint64_t> listed_size)
    : Op(pool, "get", std::move(key)),
      owned_sink_(std::move(sink)),
      sink_(*owned_sink_),
      part_size_(part_size),
      fresh_(false),
      head_deferred_(listed_size && *listed_size <= kDigestInAnswerUpTo),
      split_tail_(false) {}

GetOp::GetOp(RequestPool& pool, std::string key, Sink& sink, uint64_t part_size, const ColdRanges& cold,
             bool probe_first)
    : Op(pool, "get", std::move(key)),
      sink_(sink),
      part_size_(part_size),
      fresh_(false),
      cold_(sink.random_access() ? std::optional<ColdRanges>(cold) : std::nullopt),
      cold_held_(cold_ && probe_first) {}

std::unique_ptr<Request> GetOp::make_head() {
  auto head = new_request("HEAD", "/v1/objects/" + encode_key(stats_.key));
  head->fresh_connection = fresh_;
  head->tag = 0;
  return head;
}

std::unique_ptr<Request> GetOp::make_get(std::optional<Span> span) {
  auto r = new_request("GET", "/v1/objects/" + encode_key(stats_.key));
  r->sink = &sink_;
  r->fresh_connection = fresh_;
  if (span) {
    r->headers.push_back("Range: " + range_header_value(*span));
    r->sink_offset = span->offset;
    r->tag = span->number;
    // Range 1 goes out with the HEAD, before the size is known: for a small
    // object it is the whole body, a stream like any small transfer. The
    // ranges after it are a big object's parts.
    r->bulk = span->number > 1;
  }
  return r;
}

std::unique_ptr<Request> GetOp::next() {
  mark_started();
  if (finished_) return nullptr;
  if (state_ == State::start && cold_) {
    state_ = State::striping;
    ready_.push_back(make_head());
  } else if (state_ == State::start) {
    bool known = known_size_ && !expected_sha_.empty();
    if (known)
      head_done_ = true;
    else if (!head_deferred_)
      ready_.push_back(make_head());
    if (!sink_.random_access() || (known && *known_size_ <= part_size_)) {
      state_ = State::first;
      ready_.push_back(make_get(std::nullopt));
      ready_.back()->hash_body = true;
    } else if (known) {
      // Size and digest known: every range at once, no first round trip.
      first_done_ = true;
      begin_ranges(*known_size_, 0, 0);
    } else {
      state_ = State::first;
      first_is_range_ = true;
      ready_.push_back(make_get(Span{1, 0, part_size_}));
      ready_.back()->hash_body = true;
    }
  }
  std::unique_ptr<Request> r;
  if (!ready_.empty()) {
    r = std::move(ready_.front());
    ready_.erase(ready_.begin());
  } else if (auto retry = retries_.pop_ready(std::chrono::steady_clock::now())) {
    r = std::move(retry);
  } else if (state_ == State::striping && may_send_cold_range()) {
    r = make_cold_range(next_cold_++);
    if (r->tag == 1) probe_sent_ = std::chrono::steady_clock::now();
  } else if (state_ == State::ranges && next_span_ < spans_.size() && in_flight_ - cold_in_flight_ < rest_in_flight_) {
    r = make_get(spans_[next_span_++]);
    r->expect_status = 206;
  } else if (state_ == State::ranges && split_tail_ && next_span_ == spans_.size() &&
             in_flight_ < std::min<size_t>(rest_in_flight_, pool_.config().connections)) {
    r = split_slowest_range();
  }
  if (!r) return nullptr;
  ++in_flight_;
  if (is_cold_range(*r)) ++cold_in_flight_;
  if (r->method == "GET" && r->sink != nullptr && r->tag > 0) ranges_in_flight_.push_back(r.get());
  return r;
}

std::unique_ptr<Request> GetOp::split_slowest_range() {
  Request* slowest = nullptr;
  size_t slowest_span = 0;  // index into spans_ (a push_back below would move an iterator's target)
  uint64_t most_left = 0;
  for (Request* r : ranges_in_flight_) {
    auto span = std::find_if(spans_.begin(), spans_.end(), [&](const Span& s) { return s.number == r->tag; });
    if (span == spans_.end() || r->body_bytes_received >= span->length) continue;  // a cold range, or all in
    const uint64_t left = span->length - r->body_bytes_received;
    if (left > most_left) {
      most_left = left;
      slowest = r;
      slowest_span = static_cast<size_t>(span - spans_.begin());
    }
  }
  if (slowest == nullptr || most_left < kTailSplitMin) return nullptr;
  Span* span = &spans_[slowest_span];
  const uint64_t keep = slowest->body_bytes_received + most_left / 2;
  uint32_t number = 0;
  for (const Span& s : spans_) number = std::max(number, s.number);
  const Span rest{number + 1, span->offset + keep, span->length - keep};
  span->length = keep;  // on_range checks the stopped request against this
  slowest->stop_after = keep;
  spans_.push_back(rest);
  next_span_ = spans_.size();
  ++ranges_left_;
  ++stats_.parts;
  auto r = make_get(rest);
  r->expect_status = 206;
  return r;
}

void GetOp::done(std::unique_ptr<Request> r) {
  --in_flight_;
  const bool cold_range = is_cold_range(*r);
  if (cold_range) --cold_in_flight_;
  std::erase(ranges_in_flight_, r.get());
  // Stopped where the tail split it: its span ends there (split_slowest_range).
  if (r->stopped_at_limit && r->body_bytes_received == r->stop_after) {
    r->failure = Failure::none;
    r->error.clear();
  }
  account(*r);
  if (finished_) return;  // a request still landing after a failure
  // A cold range may land after the rest has begun (after_striping).
  if (state_ == State::striping || cold_range) {
    on_striping_answer(std::move(r));
    return;
  }
  if (!r->ok()) {
    if (state_ == State::first && r->method == "GET" && r->status == 416 && !plain_fallback_) {
      // "bytes */0": an empty object has no byte 0; ask for it whole.
      auto cr = parse_content_range(r->header("content-range"));
      if (cr && cr->total == 0) {
        plain_fallback_ = true;
        ready_.push_back(make_get(std::nullopt));
        ready_.back()->hash_body = true;
        return;
      }
    }
    if (schedule_retry(r, policy_, retries_)) return;
    retries_.clear();
    fail(request_error("get", stats_.key, *r));
    return;
  }
  try {
    if (r->method == "HEAD") {
      on_head(*r);
    } else if (state_ == State::first) {
      first_ = std::move(r);
      first_done_ = true;
      if (head_deferred_) {
        head_deferred_ = false;
        if (first_->header("x-haul-sha256").empty())
          ready_.push_back(make_head());  // an older gateway, or the object grew: ask
        else
          take_digest(*first_);  // its ETag is the first answer's own
      }
    } else {
      on_range(*r);
      return;
    }
    if (head_done_ && first_done_ && state_ == State::first) after_first();
  } catch (const Error& e) {
    fail(e);
  }
}

namespace {

// The Content-Length of an answer, when it is a number.
std::optional<uint64_t> content_length(const Request& r) {
  const std::string length = r.header("content-length");
  uint64_t size = 0;
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), size);
  if (length.empty() || ec != std::errc() || end != length.data() + length.size()) return std::nullopt;
  return size;
}

}  // namespace

void GetOp::take_digest(const Request& head) {
  expected_sha_ = head.header("x-haul-sha256");
  if (expected_sha_.empty())
    throw Error(ErrorKind::integrity, "get " + stats_.key + ": gateway sent no X-Haul-Sha256 to check against");
  head_done_ = true;
}

void GetOp::on_head(Request& r) {
  take_digest(r);
  etag_ = r.header("etag");
  // With the size known, the other ranges need not wait for the first one
  // to finish (8 MiB alone on one connection: seconds on a long link).
  if (state_ == State::first && !first_done_ && sink_.random_access() && !plain_fallback_ && first_is_range_) {
    // Range 1 is the first GET, in flight; a size it covers needs no more.
    const auto size = content_length(r);
    if (size && *size > part_size_) begin_ranges(*size, 1, 0);
  }
}

void GetOp::begin_ranges(uint64_t size, size_t sent, size_t done) {
  size_ = size;
  stats_.bytes = size_;
  pool_.progress().total += size_;  // the progress bar's denominator, now known
  sink_.reserve(size_);
  spans_ = plan_spans(size_, part_size_);
  next_span_ = sent;
  ranges_left_ = spans_.size() - done;
  stats_.parts = static_cast<unsigned>(spans_.size());
  state_ = State::ranges;
}

void GetOp::after_first() {
  Request& r = *first_;
  if (!etag_.empty() && !r.header("etag").empty() && r.header("etag") != etag_)
    throw Error(ErrorKind::conflict, "get " + stats_.key + ": object changed during the download");
  on_first(r);
}

void GetOp::on_first(Request& r) {
  if (r.status != 206) {
    // The whole object in one answer.
    auto length = r.header("content-length");
    if (!length.empty() && std::to_string(r.body_bytes_received) != length)
      throw Error(ErrorKind::backend_unavailable, "get " + stats_.key + ": truncated answer");
    size_ = r.body_bytes_received;
    stats_.bytes = size_;
    verify_and_commit(r.digest);
    return;
  }
  auto cr = parse_content_range(r.header("content-range"));
  if (!cr || !cr->first || *cr->first != 0 || r.body_bytes_received != *cr->last + 1)
    throw Error(ErrorKind::backend_unavailable, "get " + stats_.key + ": bad or truncated range answer");
  const uint64_t have = *cr->last + 1;
  if (have == cr->total) {
    size_ = cr->total;
    stats_.bytes = size_;
    pool_.progress().total += size_;
    verify_and_commit(r.digest);
    return;
  }
  if (have != part_size_)
    throw Error(ErrorKind::backend_unavailable, "get " + stats_.key + ": bad or truncated range answer");
  begin_ranges(cr->total, 1, 1);  // range 1 is in
}

void GetOp::on_range(Request& r) {
  if (!etag_.empty() && r.header("etag") != etag_)
    throw Error(ErrorKind::conflict, "get " + stats_.key + ": object changed during the download");
  auto it = std::find_if(spans_.begin(), spans_.end(), [&](const Span& s) { return s.number == r.tag; });
  auto cr = parse_content_range(r.header("content-range"));
  if (it == spans_.end() || !cr || !cr->first || *cr->first != it->offset || cr->total != size_ ||
      r.body_bytes_received != it->length)
    throw Error(ErrorKind::backend_unavailable, "get " + stats_.key + ": bad or truncated range answer");
  --ranges_left_;
  finish_when_all_in();
}

bool GetOp::is_cold_range(const Request& r) const {
  return cold_ && r.method == "GET" && r.tag >= 1 && r.tag <= cold_->count;
}

void GetOp::finish_when_all_in() {
  if (state_ != State::ranges || ranges_left_ > 0 || (cold_ && cold_answered_ < next_cold_)) return;
  auto digest = sink_.sha256_of_written(size_);
  stats_.bytes = size_;
  verify_and_commit(digest ? *digest : expected_sha_);  // NullSink (bench): no read-back possible
}

std::unique_ptr<Request> GetOp::make_cold_range(uint32_t index) {
  auto r = make_get(Span{index + 1, uint64_t{index} * cold_->range_size, cold_->range_size});
  r->expect_status = 206;  // 416 past the end is handled as an answer too
  r->bulk = true;          // each over its own connection, for its own initial window
  r->min_rtt_us = kStripeMinRttUs;
  return r;
}

bool GetOp::cold_ranges_unsent() const {
  if (next_cold_ >= cold_->count) return false;
  // Past the end of an object whose size an answer already told: never sent.
  return !size_known_ || uint64_t{next_cold_} * cold_->range_size < size_;
}

bool GetOp::may_send_cold_range() {
  if (!cold_ranges_unsent()) return false;
  if (!cold_held_ || next_cold_ == 0) return true;
  if (probe_releases_the_rest(pool_.path_rtt_us(), std::chrono::steady_clock::now() - probe_sent_)) cold_held_ = false;
  return !cold_held_;
}

std::optional<std::chrono::steady_clock::time_point> GetOp::wake_at() const {
  if (state_ != State::striping || !cold_held_ || next_cold_ == 0) return std::nullopt;
  return probe_sent_ + std::chrono::microseconds(kStripeMinRttUs);
}

void GetOp::on_striping_answer(std::unique_ptr<Request> r) {
  try {
    if (r->declined && cold_held_) {
      fall_back_from_cold();
      return;
    }
    if (r->declined) {
      // A connection shorter than the path memory said: these bytes are
      // needed all the same; they go without the check.
      r->reset_results();
      r->min_rtt_us = 0;
      retries_.push(std::move(r));
      return;
    }
    if (!r->ok() && !(r->method == "GET" && r->status == 416)) {
      if (schedule_retry(r, policy_, retries_)) return;
      retries_.clear();
      fail(request_error("get", stats_.key, *r));
      return;
    }
    if (r->method == "HEAD") {
      take_digest(*r);
      check_etag(*r);
      const auto size = content_length(*r);
      if (!size) throw Error(ErrorKind::backend_unavailable, "get " + stats_.key + ": gateway sent no size");
      learn_size(*size);
    } else {
      on_cold_range(*r);
    }
    after_striping();
  } catch (const Error& e) {
    fail(e);
  }
}

void GetOp::on_cold_range(const Request& r) {
  const uint64_t offset = uint64_t{r.tag - 1} * cold_->range_size;
  auto cr = parse_content_range(r.header("content-range"));
  if (!cr) throw Error(ErrorKind::backend_unavailable, "get " + stats_.key + ": bad or truncated range answer");
  if (r.status == 416) {
    // Past the end: "bytes */size", no body.
    if (cr->first || offset < cr->total)
      throw Error(ErrorKind::backend_unavailable, "get " + stats_.key + ": range refused inside the object");
  } else {
    check_etag(r);
    const uint64_t end = std::min(offset + cold_->range_size, cr->total);
    if (!cr->first || *cr->first != offset || *cr->last + 1 != end || r.body_bytes_received != end - offset)
      throw Error(ErrorKind::backend_unavailable, "get " + stats_.key + ": bad or truncated range answer");
  }
  learn_size(cr->total);
  ++cold_answered_;
}

void GetOp::learn_size(uint64_t size) {
  if (size_known_) {
    if (size != size_) throw Error(ErrorKind::conflict, "get " + stats_.key + ": object changed during the download");
    return;
  }
  size_known_ = true;
  size_ = size;
  stats_.bytes = size_;
  pool_.progress().total += size_;
  sink_.reserve(size_);
}

void GetOp::check_etag(const Request& r) {
  const std::string tag = r.header("etag");
  if (tag.empty()) return;  // a 416 carries none
  if (etag_.empty())
    etag_ = tag;
  else if (tag != etag_)
    throw Error(ErrorKind::conflict, "get " + stats_.key + ": object changed during the download");
}

void GetOp::after_striping() {
  if (state_ == State::ranges) {  // a cold range that landed after the rest began
    finish_when_all_in();
    return;
  }
  if (!head_done_ || !size_known_ || cold_ranges_unsent()) return;
  // A cold range still in flight holds up the rest only where the rest is
  // spread over the cold ranges' own connections (below). A big object's
  // rest goes on without it: at 1 % loss one of 96 handshakes lost its SYN
  // or SYN-ACK in most 200 MiB downloads, and the kernel resends those after
  // a second, which held every 8 MiB range until 2.0 s instead of 0.5.
  const bool spread_over_cold = size_ <= kMaxStripedSize;
  if (cold_answered_ < next_cold_ && (spread_over_cold || uint64_t{next_cold_} * cold_->range_size >= size_)) return;
  const uint64_t size = cold_->range_size;
  const uint64_t covered = std::min(size_, uint64_t{next_cold_} * size);
  const auto carried = static_cast<unsigned>((covered + size - 1) / size);
  if (covered == size_) {
    stats_.parts = carried;
    auto digest = sink_.sha256_of_written(size_);
    verify_and_commit(digest ? *digest : expected_sha_);
    return;
  }
  // A bigger object: the rest as ranges over the connections the cold
  // ranges opened. An object a striped upload would cover (kMaxStripedSize)
  // is spread over all of them, one range each, in 16 KiB steps rather than
  // the 64 KiB segment: each window has grown to ~20 packets by now, so a
  // range of a window or two arrives in a round trip or two (the gateway
  // decrypts a segment two ranges share twice: microseconds). A bigger object
  // goes over rest_connections with at most that many ranges in flight, in
  // parts as usual (bulk transfers, docs/client.md).
  const uint64_t rest = size_ - covered;
  uint64_t piece = 0;
  if (size_ <= kMaxStripedSize) {
    rest_in_flight_ = std::max(next_cold_, 1u);
    constexpr uint64_t kStep = 16 * 1024;
    piece = ((rest + rest_in_flight_ - 1) / rest_in_flight_ + kStep - 1) / kStep * kStep;
  } else {
    rest_in_flight_ = cold_->rest_connections;
    piece = std::min(part_size_, spread_part_size(rest, rest_in_flight_));
  }
  spans_ = plan_spans(rest, piece);
  for (auto& span : spans_) {
    span.offset += covered;
    span.number += cold_->count;
  }
  next_span_ = 0;
  ranges_left_ = spans_.size();
  stats_.parts = carried + static_cast<unsigned>(spans_.size());
  state_ = State::ranges;
}

void GetOp::fall_back_from_cold() {
  cold_.reset();
  cold_in_flight_ = 0;  // only the probe was out (the others wait for it), and it has landed
  cold_held_ = false;
  state_ = State::first;
  first_is_range_ = true;
  // The HEAD may already have told the size (size_, through learn_size); the
  // usual path counts it again.
  if (size_known_) pool_.progress().total -= size_;
  size_known_ = false;
  ready_.push_back(make_get(Span{1, 0, part_size_}));
  ready_.back()->hash_body = true;
  if (head_done_ && size_ > part_size_) begin_ranges(size_, 1, 0);
}

void GetOp::verify_and_commit(const std::string& digest) {
  if (digest != expected_sha_)
    throw Error(ErrorKind::integrity, "get " + stats_.key + ": checksum mismatch: received sha256 " + digest +
                                          ", gateway says " + expected_sha_);
  sink_.commit(size_);
  stats_.sha256 = digest;
  state_ = State::done;
  succeed(200);
}

void GetOp::interrupt() {
  retries_.clear();
  ready_.clear();
  if (!finished_) fail(Error(ErrorKind::internal, "get " + stats_.key + ": interrupted"));
}

}  // namespace haul::client
