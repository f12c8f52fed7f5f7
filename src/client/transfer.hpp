#pragma once
// The transfer callbacks of one client request (an http_client::Handler):
// the request body read from its Source at its offset (hashed when asked,
// counted for the progress bar), the answer's body written into its Sink at
// its offset when it is the wanted 2xx (hashed likewise) and captured
// otherwise (error JSON, capped), and the socket tuning just before the
// request goes out. A pool makes one per attempt; a scripted pool (tests)
// drives the same callbacks without libcurl.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "client/config.hpp"
#include "client/request.hpp"
#include "client/request_pool.hpp"
#include "crypto/sha256.hpp"
#include "http_client/exchange.hpp"

namespace haul::client {

// What happens just before a request goes out over its connection: the
// socket's options for its body and the stripes' RTT check (SocketTuning).
class ConnectionGate {
 public:
  virtual ~ConnectionGate() = default;
  // False: r must not use the connection named by its local port (r.declined).
  virtual bool before_request(Request& r, int local_port) = 0;
};

// The largest answer body kept in Request::body (error JSON, listings).
inline constexpr size_t kMaxCapturedBody = 1 << 20;

class RequestTransfer final : public http_client::Handler {
 public:
  // r, progress and gate must outlive the transfer; gate may be null.
  RequestTransfer(Request& r, Progress& progress, ConnectionGate* gate) : r_(r), progress_(progress), gate_(gate) {}

  std::optional<size_t> read_body(std::span<char> out) override;
  Take on_body(const http_client::ResponseHead& head, std::string_view data) override;
  bool before_send(int local_port) override;

  // After the end: the digest of the bytes hashed (Request::hash_body).
  void finish();
  // Why a callback stopped the exchange ("" when none did): a read or write
  // failure, a shrunk file, an oversized answer, a declined connection.
  const std::string& local_error() const { return local_error_; }

 private:
  Request& r_;
  Progress& progress_;
  ConnectionGate* gate_;
  crypto::Sha256 hasher_;
  std::string local_error_;
};

// The libcurl layer's options for r: the gateway URL, its token and store
// headers, the body, the timeouts, connection flags and TLS options of
// config; tls_sessions (may be null) outlives the connections.
http_client::Options exchange_options(const Request& r, const ClientConfig& config, bool fastopen,
                                      http_client::SocketHooks* sockets, http_client::TlsSessions* tls_sessions);

}  // namespace haul::client
