#pragma once
// `haul edge` configuration: the local side is the gateway's own server
// configuration (listeners, timeouts, limits; its token file lists the local
// clients' tokens), the far side is the gateway the edge keeps warm
// connections to. Filled from flags (apps/haul/cmd_edge.cpp).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config.hpp"

namespace haul::edge {

struct GatewayAddress {
  bool tls = false;
  std::string host;  // name or IP address, brackets removed
  uint16_t port = 0;
  std::string authority;  // "host:port" as the URL wrote it (the Host of requests without one)
};

// Whether gateway connections speak HTTP/2 (docs/edge.md, "HTTP/2 upstream"):
// auto: when an https:// gateway picks h2 by ALPN (plain gateways keep
// HTTP/1.1: nothing says they speak h2c); off: HTTP/1.1 always; h2c: an
// http:// gateway is spoken to in h2c with prior knowledge (a haul gateway
// accepts it on its plain ports; another server would fail every request).
enum class UpstreamHttp2 { auto_alpn, off, h2c };

// Parses --upstream-http2's value; throws Error(config).
UpstreamHttp2 parse_upstream_http2(std::string_view value);

struct EdgeConfig {
  gateway::GatewayConfig local;  // local.token_file: --client-token-file
  std::string gateway_url;       // http://HOST:PORT or https://HOST:PORT
  std::string gateway_token_file;
  std::string ca_file;  // PEM CAs that verify an https:// gateway; empty: the system's store
  // Connections kept open to the gateway while idle; more open on demand
  // and stay while they are used.
  unsigned warm_connections = 8;
  std::chrono::seconds connect_timeout{10};
  // Sent up and read down on each new connection of a long path before it
  // serves, so both congestion windows are open (window_warmup.hpp); 0: none.
  uint64_t warm_window_bytes = 1 << 20;
  UpstreamHttp2 upstream_http2 = UpstreamHttp2::auto_alpn;
};

// Throws Error(config) naming --gateway: scheme http or https, a host, an
// optional port (80 / 443), no path beyond "/".
GatewayAddress parse_gateway_url(std::string_view url);

// The --listen values into the local server's configuration: at most one
// HOST:PORT (plain listener) and one unix:PATH. Throws Error(config).
void apply_listen_flags(const std::vector<std::string>& values, gateway::GatewayConfig& local);

// Throws Error(config) naming the first problem (then the local side's
// validate_server runs at start).
void validate(const EdgeConfig& config);

}  // namespace haul::edge
