#pragma once
// One keep-alive connection: reads requests with Beast, dispatches them to
// the handlers, writes responses. Beast stays inside session.cpp.

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

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

// Runs the connection until the peer closes, a timeout, or shutdown. The
// socket's executor must be a strand.
boost::asio::awaitable<void> run_session(GatewayContext& ctx, BlockingPools& pools,
                                         SessionRegistry& registry, boost::asio::ip::tcp::socket socket);

}  // namespace haul::gateway
