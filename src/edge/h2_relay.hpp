#pragma once
// One local request relayed as a stream of an HTTP/2 gateway connection
// (h2_upstream.hpp): the request head with the relay's fields (Host becomes
// :authority), its body streamed with backpressure (at most
// H2Upstream::kQueueLimit waiting per stream), the answer streamed back to
// the local client as it takes it (the stream's window follows what it took,
// so a slow local reader holds only its own stream).
//
// Failures before the answer's status are returned (the forwarder retries or
// answers 502); failures after it throw Error(backend_unavailable) (the local
// client sees a cut). A relay that ends early for any reason (the local
// client left, its body broke, the answer broke) resets the stream, so the
// gateway discards an upload it did not receive whole.

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "edge/relay_fields.hpp"
#include "gateway/exchange.hpp"

namespace haul::edge {

class H2Upstream;
struct UpstreamStats;

struct H2RelayResult {
  std::optional<std::string> failure;  // why the exchange with the gateway broke before the status
  bool retryable = false;              // may go again (on another connection)
  bool refused = false;                // the gateway never processed it (REFUSED_STREAM, no room)
};

// `fields`: upstream_request_fields' output (Host included; it becomes :authority).
boost::asio::awaitable<H2RelayResult> relay_h2(std::shared_ptr<H2Upstream> upstream, gateway::Exchange& ex,
                                               const Fields& fields, std::string scheme, std::chrono::seconds timeout,
                                               UpstreamStats& stats);

}  // namespace haul::edge
