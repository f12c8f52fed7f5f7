#pragma once
// Gateway configuration: a plain struct with defaults, filled from flags
// (apps/haul/cmd_gateway.cpp) and validated once by validate().

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gateway/send_rate.hpp"

namespace haul::gateway {

struct NamedStore {
  std::string name;  // "default" when given without a name
  std::string url;   // fs:DIR or s3://...
};

struct GatewayConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::vector<NamedStore> stores;          // the first is the default
  std::string master_key_file;
  std::string token_file;
  std::chrono::seconds idle_timeout{600};  // keep-alive: long, the link is slow to re-open
  std::chrono::seconds header_timeout{30}; // first byte of a request to its last header byte
  std::chrono::seconds body_timeout{120};  // longest pause inside a body, either direction
  std::chrono::seconds drain_timeout{15};  // graceful shutdown before a hard stop
  std::chrono::seconds upload_expiry{24 * 3600};
  size_t header_limit = 16 * 1024;         // bigger request headers get 431
  unsigned io_threads = 0;                 // 0: one per core
  unsigned blocking_threads = 32;          // short store steps (a chunk in or out, a commit, a list page)
  // Response bodies: a client that takes less than this is cut (send_rate.hpp).
  SendRatePolicy send_rate;
  uint32_t max_requests_per_token = 1024;  // in progress at once; beyond: 429
  uint64_t probe_limit = 1ull << 30;       // largest probe transfer
  int listen_backlog = 4096;
  // TCP_CONGESTION of served sockets: "auto" chooses per download body
  // (net/send_congestion.hpp), a name pins it, empty keeps the host's default.
  std::string congestion = "auto";
  bool metrics_open_on_loopback = true;    // /metrics without a token from 127.0.0.0/8, ::1
};

// "NAME=URL" or "URL". Throws Error(config).
NamedStore parse_store_flag(const std::string& text);
// Throws Error(config) naming the first problem.
void validate(const GatewayConfig& config);

}  // namespace haul::gateway
