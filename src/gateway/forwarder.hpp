#pragma once
// The seam between the gateway's server and `haul edge` (src/edge): the edge
// serves its local clients with the gateway's own listeners and sessions
// (HTTP/1.1, h2c, limits, timeouts, access log, /metrics) and, instead of the
// handlers, relays each admitted request to the real gateway across the long
// link. The gateway itself runs without one.

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <string>

#include "gateway/exchange.hpp"

namespace haul::gateway {

class Forwarder {
 public:
  virtual ~Forwarder() = default;
  // Once the I/O context exists, before the listeners accept: opens the warm
  // connections and starts keeping them warm.
  virtual void start(boost::asio::io_context& ioc) = 0;
  // At shutdown: stops reconnecting and closes idle connections.
  virtual void stop() = 0;
  // Relays ex's request and streams the answer back. `own_signature`: an S3
  // request, forwarded with its own Authorization (SigV4, which the gateway
  // verifies); any other request was admitted with a local client token and
  // goes out with the gateway's token instead. Throws Error when the gateway
  // cannot be reached or breaks off (serve_request answers or cuts).
  virtual boost::asio::awaitable<void> forward(Exchange& ex, bool own_signature) = 0;
  // SIGHUP: reads the forwarder's own files again (the gateway token) and
  // applies them; throws Error(config) and keeps the old ones when a file is
  // unreadable or empty.
  virtual void reload() = 0;
  // What /metrics adds (Prometheus text) and what the start-up line says.
  virtual void render_metrics(std::string& out) = 0;
  virtual std::string describe() const = 0;
};

}  // namespace haul::gateway
