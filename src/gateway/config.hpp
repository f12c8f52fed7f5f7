#pragma once
// Gateway configuration: a plain struct with defaults, filled from flags
// (apps/haul/cmd_gateway.cpp) and validated once by validate().

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gateway/h2_server.hpp"
#include "gateway/send_rate.hpp"

namespace haul::gateway {

struct NamedStore {
  std::string name;  // "default" when given without a name
  std::string url;   // fs:DIR or s3://...
  // Bound into every format-2 object of this store (docs/format.md section
  // 3.1): the name unless --store-id NAME=ID says otherwise. Changing it makes
  // the store's objects unreadable until re-sealed, so a renamed store keeps
  // its old id.
  std::string id;
};

// The TLS listener (docs/tls.md). Off unless --tls-listen is given.
struct TlsListenConfig {
  bool enabled = false;
  std::string host;
  uint16_t port = 0;
  std::string cert_file;  // PEM: the server certificate, then intermediates
  std::string key_file;   // PEM: its private key, unencrypted
};

struct GatewayConfig {
  // The plain HTTP listener: on unless TLS is configured and --listen is not
  // given (TLS only). Both may run at once.
  bool listen_plain = true;
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  TlsListenConfig tls;
  // A Unix socket path to listen on as well (the edge: --listen unix:PATH);
  // empty: none. Its clients are admitted by the file's permissions.
  std::string unix_listen;
  std::vector<NamedStore> stores;  // the first is the default
  std::string master_key_file;
  std::string token_file;
  std::chrono::seconds idle_timeout{600};   // keep-alive: long, the link is slow to re-open
  std::chrono::seconds header_timeout{30};  // first byte of a request to its last header byte
  // A new connection that has sent nothing: closed after this (a client that
  // connects means to ask; a silent one only holds a slot).
  std::chrono::seconds first_byte_timeout{10};
  // Open connections at most. Beyond it the longest-idle connection is
  // closed to make room, or, when none is idle, the new one gets a 503.
  size_t max_connections = 10000;
  std::chrono::seconds body_timeout{120};  // longest pause inside a body, either direction
  std::chrono::seconds drain_timeout{15};  // graceful shutdown before a hard stop
  std::chrono::seconds upload_expiry{24 * 3600};
  size_t header_limit = 16 * 1024;  // bigger request headers get 431
  unsigned io_threads = 0;          // 0: one per core
  unsigned blocking_threads = 32;   // short store steps (a chunk in or out, a commit, a list page)
  // Response bodies: a client that takes less than this is cut (send_rate.hpp).
  SendRatePolicy send_rate;
  uint32_t max_requests_per_token = 1024;  // in progress at once; beyond: 429
  uint64_t probe_limit = 1ull << 30;       // largest probe transfer
  int listen_backlog = 4096;
  // TCP_CONGESTION of served sockets: "auto" chooses per download body
  // (net/send_congestion.hpp), a name pins it, empty keeps the host's default.
  std::string congestion = "auto";
  bool metrics_open_on_loopback = true;  // /metrics without a token from 127.0.0.0/8, ::1
  std::string access_log = "-";          // one JSON line per request: "-" stdout, "off", or a file
  // Oldest object format served: 1 serves format-1 objects (not bound to
  // their key and store); 2 refuses them (integrity) once all are re-sealed.
  unsigned min_format = 1;
  // The S3 API (docs/s3-api.md): off unless a credentials file is given.
  std::string s3_credentials_file;
  std::string s3_domain;                // virtual-host style "BUCKET.DOMAIN"; "" for path style only
  std::string s3_region = "us-east-1";  // what GetBucketLocation answers and SigV4 scopes may name
  // HTTP/2 (docs/http2.md): windows, stream limit, abuse limits. The header
  // list limit follows header_limit.
  h2::H2Limits h2;
};

struct HostPort {
  std::string host;  // an IP address; "[::1]" is given as "::1"
  uint16_t port = 0;
};
// "HOST:PORT" or "[V6]:PORT" for `flag`. Throws Error(config) naming the flag.
HostPort parse_host_port(const std::string& text, const std::string& flag);

// The whole of a file the gateway reads at start or on SIGHUP (token file,
// master key file). Throws Error(config) "cannot read WHAT PATH".
std::string read_config_file(const std::string& path, const std::string& what);

// "NAME=URL" or "URL" (name "default"); the id is the name. Throws Error(config).
NamedStore parse_store_flag(const std::string& text);
// "--store-id NAME=ID": sets the id of the store called NAME. Throws
// Error(config) on a malformed flag or an unknown NAME.
void apply_store_id_flag(std::vector<NamedStore>& stores, const std::string& text);
// Store ids: 1..255 printable ASCII bytes without spaces. Throws Error(config).
void validate_store_id(const std::string& id);
// Throws Error(config) naming the first problem.
void validate(const GatewayConfig& config);
// The server's part alone (listeners, timeouts, limits, HTTP/2, TLS): what
// `haul edge` checks, which has no stores or keys.
void validate_server(const GatewayConfig& config);

}  // namespace haul::gateway
