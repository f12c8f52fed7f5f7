#pragma once
// The edge's Forwarder: each local request goes to the gateway on a warm
// connection of the UpstreamPool, its body streamed as it arrives, the
// answer streamed back as it arrives: as a stream of an HTTP/2 connection
// when the gateway speaks it (h2_relay.hpp), else alone on an HTTP/1.1
// connection (one request per connection at a time). Either way a slow
// local reader holds only its own stream or connection. An idempotent
// failure before anything was consumed (the connection broke as it was
// taken) is sent again once on a new connection; anything later is the
// local client's error: a JSON 502 before the status line, a cut after it.

#include <memory>
#include <mutex>
#include <string>

#include "edge/edge_config.hpp"
#include "edge/relay_fields.hpp"
#include "gateway/forwarder.hpp"

namespace haul::edge {

class UpstreamPool;
class H2Upstream;

class EdgeForwarder final : public gateway::Forwarder {
 public:
  // Reads the gateway token file; throws Error(config).
  explicit EdgeForwarder(const EdgeConfig& config);
  ~EdgeForwarder() override;

  void start(boost::asio::io_context& ioc) override;
  void stop() override;
  boost::asio::awaitable<void> forward(gateway::Exchange& ex, bool own_signature) override;
  void reload() override;
  void render_metrics(std::string& out) override;
  std::string describe() const override;

 private:
  // One try over a stream: true when done, false to try again (refused, or
  // broken before anything was consumed); throws what the local client sees.
  boost::asio::awaitable<bool> forward_h2(std::shared_ptr<H2Upstream> h2, gateway::Exchange& ex, const Fields& fields,
                                          int attempt);
  std::unique_ptr<UpstreamPool> pool_;
  std::string authorization() const;
  std::string gateway_token_file_;
  mutable std::mutex mutex_;           // gateway_authorization_ (swapped by reload)
  std::string gateway_authorization_;  // "Bearer TOKEN": never logged, never sent to a local client
  std::chrono::seconds body_timeout_;
  std::string gateway_url_;
  unsigned warm_;
  std::string http2_;  // the --upstream-http2 choice, in words
};

}  // namespace haul::edge
