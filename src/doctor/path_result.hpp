#pragma once
// What the path probe measured against a gateway (plain data, no I/O), so
// the path checks are sans-IO and unit-tested with tables.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "net/tcp_info.hpp"

namespace haul::doctor {

struct TransferResult {
  uint64_t bytes = 0;
  double seconds = 0;  // request sent -> last byte (libcurl total - pretransfer)
  double rate_bps() const { return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds : 0; }
};

// One new TLS connection of the handshake probe.
struct TlsHandshake {
  double tcp_s = 0;      // the TCP handshake
  double tls_s = 0;      // the TLS handshake after it
  bool resumed = false;  // abbreviated with a session of an earlier connection
};

// What the handshake probe saw of an https:// gateway.
struct TlsResult {
  std::string protocol;  // "TLSv1.3"
  std::string cipher;
  std::string alpn;                       // "" when none was agreed
  std::string subject;                    // the server certificate's subject
  std::optional<int64_t> not_after_unix;  // its expiry
  int64_t checked_at_unix = 0;            // when the probe ran (the expiry check's "now")
  // The first connection's handshake is a full one; each later connection
  // offered the session an earlier one received.
  std::vector<TlsHandshake> handshakes;
};

struct PathResult {
  std::string url;
  std::string address;                       // the gateway's IP as connected (for the route lookup)
  bool local = false;                        // that address is this host's own (nothing crosses a network)
  std::vector<double> handshake_s;           // TCP connect times, one per handshake
  std::optional<TlsResult> tls;              // https:// gateways: what the handshakes negotiated
  std::optional<double> rtt_s;               // min of handshake_s
  std::optional<TransferResult> download;    // GET /v1/probe/download (the fastest of the growing probes)
  std::optional<TransferResult> upload;      // PUT /v1/probe/upload
  std::optional<net::TcpInfo> client_info;   // client socket after the probes (sender of the upload)
  std::optional<net::TcpInfo> gateway_info;  // GET /v1/probe/tcpinfo after the download (its sender side)
  std::string gateway_peer;                  // how the gateway sees us ("peer")
  std::optional<bool> fastopen_used;         // second of two fresh connections carried data in its SYN
  std::vector<std::string> notes;            // steps that could not run, with why
};

// TcpInfo from the JSON of net::tcp_info_json (missing fields stay 0).
net::TcpInfo tcp_info_from_json(const nlohmann::json& j);

nlohmann::json path_result_json(const PathResult& path);

}  // namespace haul::doctor
