#include "client/request_pool.hpp"

#include <algorithm>

#include "net/send_congestion.hpp"

namespace haul::client {

namespace {

// How long the loop may sleep: at most `cap`, less when the driver wants to
// be asked again sooner (Driver::wake_at).
int poll_ms(const Driver& driver, int cap) {
  auto at = driver.wake_at();
  if (!at) return cap;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(*at - std::chrono::steady_clock::now()).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, cap));
}

// An upload body large enough that bbr sends it (net/send_congestion.hpp).
bool bulk_send(const Request& r) {
  return r.bulk && r.method == "PUT" && r.source_length > net::cubic_burst_min;
}

}  // namespace

std::atomic<bool>& RequestPool::interrupt_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

RequestPool::RequestPool(const ClientConfig& config) : config_(config) {
  if (!config_.trace_file.empty()) trace_.emplace(config_.trace_file);
}

void RequestPool::launch(std::unique_ptr<Request> r) {
  r->launched_at = std::chrono::system_clock::now();
  ++in_flight_;
  if (r->warmup)
    ++warmups_in_flight_;
  else if (r->bulk)
    ++bulk_in_flight_;
  if (bulk_send(*r)) bulk_sends_peak_ = std::max(bulk_sends_peak_, ++bulk_sends_);
  start(std::move(r));
}

void RequestPool::landed(const Request& r) {
  if (trace_) trace_->write(r, std::chrono::system_clock::now());
  --in_flight_;
  if (r.warmup)
    --warmups_in_flight_;
  else if (r.bulk)
    --bulk_in_flight_;
  if (bulk_send(r) && --bulk_sends_ == 0) bulk_sends_peak_ = 0;
}

void RequestPool::launch_warmup(bool stream) {
  auto r = std::make_unique<Request>();
  r->path = "/healthz";
  r->warmup = true;
  // A connection for parts and ranges (HTTP/1.1 when streams are HTTP/2),
  // or one of the HTTP/2 connections the streams spread over.
  r->bulk = !stream;
  launch(std::move(r));
}

void RequestPool::start_warmups(unsigned room) {
  unsigned n = std::min(warm_pending_, room);
  warm_pending_ = 0;
  for (unsigned i = 0; i < n; ++i) launch_warmup(false);
}

void RequestPool::interrupt_all(Driver& driver) {
  interrupted_ = true;
  for (auto& r : cancel_all()) {
    if (!r->warmup) {
      r->failure = Failure::local;
      r->error = "interrupted";
    }
    landed(*r);
    if (r->warmup) continue;
    auto* owner = r->owner;
    owner->done(std::move(r));
  }
  driver.interrupt();
}

void RequestPool::run(Driver& driver, unsigned max_inflight, const std::function<void()>& tick) {
  auto last_tick = std::chrono::steady_clock::now();
  bool first_round = true;
  if (warm_streams_pending_ && stream_connections() > 1) {
    for (unsigned i = 0; i < stream_connections(); ++i) launch_warmup(true);
    for (auto& r : collect()) {  // their connects start: the sockets exist from here
      landed(*r);
      connections_opened_ += r->connections_opened;
    }
  }
  warm_streams_pending_ = false;
  for (;;) {
    if (!interrupted_ && interrupt_flag().load()) interrupt_all(driver);
    // Fill: the driver's requests first, then warm-ups in the remaining room.
    // Over HTTP/2 fewer streams until one has been answered (config.hpp);
    // parts, ranges and stripes go over HTTP/1.1 and do not count.
    auto cap = [&] {
      if (streams_answered_ || !uses_http2(config_)) return size_t{max_inflight};
      return std::min<size_t>(max_inflight,
                              size_t{kHttp2InflightBeforeSettings} * stream_connections() + bulk_in_flight_);
    };
    size_t real = in_flight_ - warmups_in_flight_;
    while (real < cap()) {
      auto r = driver.next();
      if (!r) break;
      launch(std::move(r));
      ++real;
    }
    if (first_round && warm_pending_ > 0) {
      unsigned used = static_cast<unsigned>(std::min<size_t>(in_flight_, config_.connections));
      start_warmups(config_.connections > used ? config_.connections - used : 0);
    }
    first_round = false;
    if (bulk_sends_ > 0 && bulk_sends_ * 2 <= bulk_sends_peak_) {
      bulk_senders_halved();
      bulk_sends_peak_ = bulk_sends_;
    }
    if (in_flight_ == 0) {
      if (driver.finished()) return;
      wait(poll_ms(driver, 20));  // a backoff or the driver's own deadline
      continue;
    }
    for (auto& r : collect()) {
      landed(*r);
      connections_opened_ += r->connections_opened;
      if (r->tcp) path_.measured(*r->tcp);
      if (r->warmup) continue;
      if (!r->bulk && r->status > 0) streams_answered_ = true;
      auto* owner = r->owner;
      owner->done(std::move(r));
    }
    if (tick) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_tick > std::chrono::milliseconds(100)) {
        tick();
        last_tick = now;
      }
    }
    if (in_flight_ > 0) wait(poll_ms(driver, 50));
  }
}

}  // namespace haul::client
