#pragma once
// The connection pool for one gateway: one libcurl multi handle (through the
// libcurl layer, http_client/multi.hpp) whose connection cache every
// transfer of the process shares. Mechanism only: which requests run and
// what a failure means is the drivers' and the retry policy's business.
//
//  - at most `connections` TCP connections to the gateway; requests beyond
//    that wait inside libcurl for a free connection instead of opening more;
//  - the cache keeps them all, so a connection opened by the first transfer
//    carries the last one, with its congestion window;
//  - warm(n) (request_pool.hpp) opens n connections in parallel (cheap GET
//    /healthz) alongside the first real requests, so their handshakes
//    overlap and the real transfer never waits behind a warm-up;
//  - every socket option is set in one place (socket_tuning.hpp);
//  - over HTTP/2 the streams (small transfers: not parts, ranges or
//    stripes) are spread over `connections` multis of their own, one
//    HTTP/2 connection each, the least loaded first: a cold tree of small
//    files starts with that many initial windows instead of one (slow start
//    of a single connection was most of its time), and no multi ever holds
//    two HTTP/2 connections to the gateway, where libcurl 7.88 can match
//    answers to the wrong transfers. Sequential transfers all take the
//    first, so a warm connection stays the one in use.
//
// Files: request_pool (the run loop), transfer (the callbacks of one
// request), socket_tuning (socket options, TCP_INFO, stripes' RTT check),
// outcome (what a finished request means), this one (the libcurl pool).

#include <memory>
#include <optional>
#include <vector>

#include "client/request_pool.hpp"
#include "client/socket_tuning.hpp"
#include "client/stream_placement.hpp"
#include "client/transfer.hpp"
#include "http_client/exchange.hpp"
#include "http_client/multi.hpp"
#include "http_client/tls_share.hpp"

namespace haul::client {

class Pool final : public RequestPool {
 public:
  explicit Pool(const ClientConfig& config);
  ~Pool() override;

  bool cold() const override { return connections_opened() == 0 && !tuning_.any_open() && in_flight_.empty(); }
  // libcurl closes the extra idle connections as it trims its cache.
  void widen(unsigned n) override;
  void narrow() override;
  unsigned stream_connections() const override { return streams_.empty() ? 1 : static_cast<unsigned>(streams_.size()); }

 private:
  // A request on its way: the exchange (a pooled easy handle) and the
  // callbacks that serve it.
  struct InFlight {
    std::unique_ptr<Request> request;
    std::unique_ptr<http_client::Exchange> exchange;
    std::unique_ptr<RequestTransfer> transfer;
    http_client::Multi* multi = nullptr;  // multi_ or one of streams_
  };

  void start(std::unique_ptr<Request> r) override;
  std::vector<std::unique_ptr<Request>> collect() override;
  void wait(int timeout_ms) override;
  std::vector<std::unique_ptr<Request>> cancel_all() override;
  // --congestion auto: the connections still sending parts restart bbr.
  void bulk_senders_halved() override;
  // Results of an ended exchange into its request; the exchange goes idle.
  std::unique_ptr<Request> finish(InFlight entry, const http_client::Outcome& outcome);
  // Where r goes: a stream multi for an HTTP/2 stream (place_stream), else multi_.
  http_client::Multi& multi_for(const Request& r);
  // Takes the exchange out of its multi (and its stream count).
  void detach(InFlight& entry);

  bool fastopen_ = false;  // TCP Fast Open for every connection
  // https:// gateways: the TLS sessions every connection shares, loaded
  // from and saved to config.tls_session_file. First: the connections and
  // exchanges that use it go before it.
  std::unique_ptr<http_client::TlsSessions> tls_sessions_;
  // Declared before the multi: closing its cached connections reaches them.
  SocketTuning tuning_;
  http_client::Multi multi_;
  // One multi per HTTP/2 connection: HTTP/2 only; empty otherwise.
  std::vector<std::unique_ptr<http_client::Multi>> streams_;
  std::vector<http_client::Multi*> stream_multis_;  // the same, for Multi::poll
  std::vector<StreamLoad> stream_loads_;            // the streams each of streams_ carries now
  std::optional<size_t> last_gating_;               // where the last gating request went
  std::vector<InFlight> in_flight_;
  std::vector<std::unique_ptr<http_client::Exchange>> idle_;  // kept for reuse
};

}  // namespace haul::client
