#pragma once
// HTTP/2 on one connection (h2 by ALPN over TLS, h2c with prior knowledge
// on the plain listener): the I/O loop around h2::H2ServerSession. Each
// stream is an Exchange like an HTTP/1.1 request, so the handlers (serve.hpp)
// do not know the protocol. Beast-free: the transport comes in as an
// H2Transport, implemented once per stream type in session_impl.hpp, so
// this compiles once however many transports there are.

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "gateway/context.hpp"
#include "gateway/exchange.hpp"
#include "gateway/session.hpp"

namespace haul::gateway {

// The byte stream under one HTTP/2 connection. One read and one write may be
// pending at once (the reader and the flusher); both run on the connection's
// strand.
class H2Transport {
 public:
  virtual ~H2Transport() = default;
  // Some bytes (at least one) or an error; the timeout cuts a read that
  // waits longer.
  virtual boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> read_some(
      std::span<uint8_t> into, std::chrono::steady_clock::duration timeout) = 0;
  // All of `bytes`, or an error (the timeout cuts a write that stalls).
  virtual boost::asio::awaitable<boost::system::error_code> write(std::span<const uint8_t> bytes,
                                                                  std::chrono::steady_clock::duration timeout) = 0;
  // Ends a pending read and write: the connection is done.
  virtual void cancel() = 0;
  // Ends a pending read (as the peer's FIN would) and leaves writing
  // alone: what is queued, and GOAWAY, still go out.
  virtual void stop_reading() = 0;
  // No stream is open: shutdown or the connection limit may close it.
  virtual void set_idle(bool idle) = 0;
  virtual int native_socket() = 0;
  // The connection's strand: every coroutine of the connection runs on it.
  virtual boost::asio::any_io_executor executor() = 0;
};

// Serves HTTP/2 until the peer leaves, a timeout, abuse (GOAWAY) or
// shutdown. `already_read`: bytes taken from the connection before the
// protocol was known (h2c: the preface). Returns true when the transport
// still works (GOAWAY went out, every stream is done): the caller closes
// it gracefully (TLS close_notify, FIN). `served` counts the streams answered.
boost::asio::awaitable<bool> serve_http2(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                         H2Transport& io, std::span<const uint8_t> already_read, Peer peer,
                                         uint64_t connection, uint64_t& served);

// At the connection limit, over HTTP/2: every request the client sends in
// the next 2 s gets 503 (JSON, Retry-After: 1), then GOAWAY and the close.
boost::asio::awaitable<void> refuse_http2(H2Transport& io);

// The 24 bytes every HTTP/2 connection starts with (RFC 9113 3.4).
inline constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace haul::gateway
