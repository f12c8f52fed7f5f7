#pragma once
// One request and its response on a connection, as handlers see it. The
// Beast session implements it (session.cpp); handlers stay free of Beast so
// they compile fast and read as protocol logic.

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace haul::gateway {

namespace asio = boost::asio;

using Headers = std::vector<std::pair<std::string, std::string>>;

// Who a connection comes from, as requests and the access log see it.
struct Peer {
  std::string address;  // "ip:port"; "unix" on a Unix socket
  bool loopback = false;
  // A Unix socket listener (the edge's --listen unix:PATH): the socket
  // file's permissions admitted the client, so it needs no token.
  bool local_socket = false;
};

struct Request {
  std::string method;
  std::string target;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  Peer peer;
  std::function<std::string(std::string_view)> header;  // "" when absent
  // Every header field in arrival order, names as sent: for the S3 API,
  // which signs and stores headers it does not know in advance.
  std::function<Headers()> all_headers;
};

// Thrown by an Exchange when the peer is gone or the response was cut:
// nothing more can be said on this connection.
struct ConnectionLost : std::runtime_error {
  ConnectionLost() : std::runtime_error("connection lost") {}
};

// Implementations: BeastExchange (session.cpp) on a connection, and
// testing::FakeExchange (testing/fake_exchange.hpp) for component tests.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const Request& request() const = 0;

  // Called once, after the request is admitted and before its handler runs:
  // a client that sent "Expect: 100-continue" is told to send its body now
  // (never before the token check, so an unauthorized body is not invited).
  virtual asio::awaitable<void> invite_body() = 0;

  // Next piece of the request body (a view valid until the next call); an
  // empty span at its end. Throws Error(bad_request) when the peer closes or
  // stalls before the body is complete.
  virtual asio::awaitable<std::span<const uint8_t>> read_body() = 0;

  // A complete response with a small body.
  virtual asio::awaitable<void> respond(int status, std::string content_type, std::string body,
                                        Headers headers = {}) = 0;
  // A streamed response: begin (length announced), write pieces that add up
  // to exactly that length, end. Writes are asynchronous: a slow client
  // holds this coroutine, not a thread. A client that takes less than the
  // minimum send rate (send_rate.hpp), or leaves, gets the response cut:
  // the call throws ConnectionLost and the connection is reset.
  virtual asio::awaitable<void> begin_body(int status, Headers headers, uint64_t content_length) = 0;
  virtual asio::awaitable<void> write_body(std::span<const uint8_t> bytes) = 0;
  virtual asio::awaitable<void> end_body() = 0;

  // Runs fn on the blocking pool; the coroutine resumes on its connection.
  // For short steps only (one chunk into or out of the store, a commit, a
  // list page): never anything that waits on a client.
  virtual asio::awaitable<void> blocking(std::function<void()> fn) = 0;

  virtual bool response_started() const = 0;
  // The response cannot be completed after its status line went out: the
  // connection is reset and not reused, so the client sees a cut body, never
  // a clean response with wrong or missing bytes.
  virtual void cut() = 0;
  virtual int native_socket() = 0;
};

}  // namespace haul::gateway
