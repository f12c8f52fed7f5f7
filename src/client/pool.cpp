#include "client/pool.hpp"

#include <sys/select.h>

#include <algorithm>

#include "client/outcome.hpp"
#include "client/stream_placement.hpp"
#include "client/tls_session_file.hpp"
#include "net/send_congestion.hpp"

namespace haul::client {

Pool::Pool(const ClientConfig& config) : RequestPool(config), tuning_(config_, path_) {
  narrow();
  if (uses_http2(config_)) {
    // At most one HTTP/2 connection per multi: libcurl 7.88 matches answers
    // to the wrong transfers once a stream cap below --inflight makes it open
    // more HTTP/2 connections to the same gateway in one multi (measured: a
    // range answer with another object's ETag, or "Received HTTP/0.9";
    // docs/client.md "HTTP/2"). Several connections are several multis.
    multi_.multiplex(static_cast<long>(std::min(effective_inflight(config_), kHttp2StreamsPerConnection)));
    for (unsigned i = 0; config_.stream_connections > 1 && i < config_.stream_connections; ++i) {
      auto shard = std::make_unique<http_client::Multi>();
      shard->multiplex(kHttp2StreamsPerConnection);
      shard->limit_connections(1);
      stream_multis_.push_back(shard.get());
      streams_.push_back(std::move(shard));
      stream_loads_.emplace_back();
    }
  }
  // TCP Fast Open over TLS always (when the kernel's client bit is set):
  // the ClientHello rides in the SYN and the gateway's handshake flight comes
  // back with the SYN-ACK, so a new TLS connection costs the round trip a
  // plain one does (docs/tls.md "Fast Open"). Over plain HTTP only with
  // --fastopen: libcurl 7.88 cannot reuse a plain Fast Open connection
  // (config.hpp `fastopen`); over TLS it reads the peer's address again once
  // the handshake is done, and reuse works (measured: 4 requests, 1
  // connection).
  fastopen_ = kernel_allows_client_fastopen() && (config_.fastopen || config_.gateway.starts_with("https://"));
  if (config_.gateway.starts_with("https://"))
    tls_sessions_ = std::make_unique<http_client::TlsSessions>(load_tls_sessions(config_.tls_session_file));
}

Pool::~Pool() {
  try {
    if (tls_sessions_ && tls_sessions_->captured() > 0)
      save_tls_sessions(config_.tls_session_file, tls_sessions_->stored());
  } catch (const std::exception&) {
    // A cache: failing to write it changes nothing the user asked for.
  }
  // Exchanges leave the multi before it closes the cached connections.
  for (auto& entry : in_flight_) entry.multi->remove(*entry.exchange);
  in_flight_.clear();
  idle_.clear();
}

// Over HTTP/2 the streams' connection and the bulk transfers' HTTP/1.1
// connections share libcurl's per-host limit, and an idle HTTP/2 connection
// cannot carry an HTTP/1.1 part: room for both kinds, so a part never waits
// for the multiplexed connection to close.
void Pool::widen(unsigned n) {
  const long kinds = uses_http2(config_) ? 2 : 1;
  multi_.limit_connections(static_cast<long>(std::max(n, config_.connections)) * kinds);
}

void Pool::narrow() {
  const long kinds = uses_http2(config_) ? 2 : 1;
  multi_.limit_connections(static_cast<long>(config_.connections) * kinds);
}

void Pool::bulk_senders_halved() {
  if (config_.congestion == net::congestion_auto) tuning_.restart_bbr_senders();
}

void Pool::start(std::unique_ptr<Request> r) {
  InFlight entry;
  if (!idle_.empty()) {
    entry.exchange = std::move(idle_.back());
    idle_.pop_back();
  } else {
    entry.exchange = std::make_unique<http_client::Exchange>();
  }
  entry.transfer = std::make_unique<RequestTransfer>(*r, progress_, &tuning_);
  entry.exchange->prepare(exchange_options(*r, config_, fastopen_, &tuning_, tls_sessions_.get()), *entry.transfer);
  entry.multi = &multi_for(*r);
  entry.multi->add(*entry.exchange);
  entry.request = std::move(r);
  in_flight_.push_back(std::move(entry));
}

std::unique_ptr<Request> Pool::finish(InFlight entry, const http_client::Outcome& outcome) {
  Request& r = *entry.request;
  http_client::Exchange& x = *entry.exchange;
  r.timings = x.timings();
  r.connections_opened = x.connections_opened();
  // TCP_INFO of the connection this request used: still in the cache (only
  // while the exchange is in the multi), or just closed (fresh_connection).
  if (int fd = x.active_socket(); fd >= 0)
    r.tcp = net::read_tcp_info(fd);
  else if (r.fresh_connection)
    r.tcp = tuning_.last_closed();
  r.status = x.head().status;
  r.response_headers = std::move(x.head().headers);
  entry.transfer->finish();
  record_outcome(r, outcome, entry.transfer->local_error(), config_.gateway);
  detach(entry);
  idle_.push_back(std::move(entry.exchange));
  return std::move(entry.request);
}

http_client::Multi& Pool::multi_for(const Request& r) {
  if (streams_.empty() || r.bulk || r.fresh_connection) return multi_;
  const size_t i = place_stream(stream_loads_, r.gating, last_gating_);
  ++stream_loads_[i].in_flight;
  if (r.gating) {
    ++stream_loads_[i].gating;
    last_gating_ = i;
  }
  return *streams_[i];
}

void Pool::detach(InFlight& entry) {
  entry.multi->remove(*entry.exchange);
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i].get() != entry.multi) continue;
    --stream_loads_[i].in_flight;
    if (entry.request && entry.request->gating) --stream_loads_[i].gating;
  }
}

std::vector<std::unique_ptr<Request>> Pool::collect() {
  std::vector<std::unique_ptr<Request>> ended;
  auto reap = [&](http_client::Multi& multi) {
    int running = 0;
    multi.perform(running);
    while (auto done = multi.next_done()) {
      auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                             [&](const InFlight& e) { return e.exchange.get() == done->exchange; });
      if (it == in_flight_.end()) continue;
      InFlight entry = std::move(*it);
      in_flight_.erase(it);
      ended.push_back(finish(std::move(entry), done->outcome));
    }
  };
  reap(multi_);
  for (auto& shard : streams_) reap(*shard);
  return ended;
}

void Pool::wait(int timeout_ms) {
  if (streams_.empty()) {
    multi_.poll(timeout_ms);
  } else if (tuning_.highest_open_fd() < FD_SETSIZE) {
    multi_.poll(timeout_ms, stream_multis_);
  } else {
    // A socket curl_multi_fdset cannot report: the stream connections open
    // first (RequestPool::warm_streams, before a tree opens its files), so
    // only one reopened later among many open files gets here. Look again
    // soon rather than sleep past its answer.
    multi_.poll(std::min(timeout_ms, 1));
  }
}

std::vector<std::unique_ptr<Request>> Pool::cancel_all() {
  std::vector<std::unique_ptr<Request>> cancelled;
  for (auto& entry : in_flight_) {
    detach(entry);
    idle_.push_back(std::move(entry.exchange));
    cancelled.push_back(std::move(entry.request));
  }
  in_flight_.clear();
  return cancelled;
}

}  // namespace haul::client
