#pragma once
// One keep-alive connection: reads requests with Beast, dispatches them to
// the handlers, writes responses; over plain TCP or TLS. Beast stays inside
// session_impl.hpp and the two files that instantiate it (session_plain.cpp,
// session_tls.cpp).

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "gateway/context.hpp"

namespace haul::gateway {

// Threads for store I/O, off the I/O threads: `steps` for short blocking
// calls (a chunk into or out of the store, a commit, a list page). No step
// waits on a client: a slow one holds a socket and memory, never a thread.
struct BlockingPools {
  boost::asio::thread_pool& steps;
};

// Lets the server ask every session to finish: idle ones close at once, busy
// ones after their current response.
class SessionRegistry;
class TlsServer;

// Runs the connection until the peer closes, a timeout, or shutdown. The
// socket's executor must be a strand.
boost::asio::awaitable<void> run_session(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                         boost::asio::ip::tcp::socket socket);

// The same over a Unix socket (the edge's --listen unix:PATH): no token is
// asked of its requests (the socket file's permissions admitted them).
boost::asio::awaitable<void> run_local_session(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                               boost::asio::local::stream_protocol::socket socket);

// The same over TLS: the handshake (bounded by the header timeout) with the
// context current at accept, kept for the connection's life, then the
// protocol ALPN chose. `tls` must outlive the session.
boost::asio::awaitable<void> run_tls_session(GatewayContext& ctx, BlockingPools& pools, SessionRegistry& registry,
                                             TlsServer& tls, boost::asio::ip::tcp::socket socket);

// At the connection limit with no idle connection to close: 503 with
// Retry-After, then close (over TLS after a handshake, bounded to 2 s).
boost::asio::awaitable<void> refuse_connection(boost::asio::ip::tcp::socket socket);
boost::asio::awaitable<void> refuse_local_connection(boost::asio::local::stream_protocol::socket socket);
boost::asio::awaitable<void> refuse_tls_connection(TlsServer& tls, boost::asio::ip::tcp::socket socket);

}  // namespace haul::gateway
