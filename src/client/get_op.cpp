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

GetOp::GetOp(RequestPool& pool, std::string key, std::unique_ptr<Sink> sink, uint64_t part_size)
    : Op(pool, "get", std::move(key)),
      owned_sink_(std::move(sink)),
      sink_(*owned_sink_),
      part_size_(part_size),
      fresh_(false) {}

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
  if (state_ == State::start) {
    bool known = known_size_ && !expected_sha_.empty();
    if (!known) {
      auto head = new_request("HEAD", "/v1/objects/" + encode_key(stats_.key));
      head->fresh_connection = fresh_;
      head->tag = 0;
      ready_.push_back(std::move(head));
    } else {
      head_done_ = true;
    }
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
  } else if (state_ == State::ranges && next_span_ < spans_.size()) {
    r = make_get(spans_[next_span_++]);
    r->expect_status = 206;
  }
  if (r) ++in_flight_;
  return r;
}

void GetOp::done(std::unique_ptr<Request> r) {
  --in_flight_;
  account(*r);
  if (finished_) return;  // a request still landing after a failure
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
    } else {
      on_range(*r);
      return;
    }
    if (head_done_ && first_done_ && state_ == State::first) after_first();
  } catch (const Error& e) {
    fail(e);
  }
}

void GetOp::on_head(Request& r) {
  expected_sha_ = r.header("x-haul-sha256");
  etag_ = r.header("etag");
  if (expected_sha_.empty())
    throw Error(ErrorKind::integrity, "get " + stats_.key + ": gateway sent no X-Haul-Sha256 to check against");
  head_done_ = true;
  // With the size known, the other ranges need not wait for the first one
  // to finish (8 MiB alone on one connection: seconds on a long link).
  if (state_ == State::first && !first_done_ && sink_.random_access() && !plain_fallback_ && first_is_range_) {
    uint64_t size = 0;
    const std::string length = r.header("content-length");
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), size);
    // Range 1 is the first GET, in flight; a size it covers needs no more.
    if (ec == std::errc() && end == length.data() + length.size() && !length.empty() && size > part_size_)
      begin_ranges(size, 1, 0);
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
  if (--ranges_left_ == 0) {
    auto digest = sink_.sha256_of_written(size_);
    stats_.bytes = size_;
    verify_and_commit(digest ? *digest : expected_sha_);  // NullSink (bench): no read-back possible
  }
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
