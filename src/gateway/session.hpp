#pragma once
// One keep-alive connection: reads requests with Beast, dispatches them to
// the handlers, writes responses. Beast stays inside session.cpp.

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include "gateway/context.hpp"

namespace haul::gateway {

// Lets the server ask every session to finish: idle ones close at once, busy
// ones after their current response.
class SessionRegistry;

// Runs the connection until the peer closes, a timeout, or shutdown. The
// socket's executor must be a strand.
boost::asio::awaitable<void> run_session(GatewayContext& ctx, boost::asio::thread_pool& blocking,
                                         SessionRegistry& registry, boost::asio::ip::tcp::socket socket);

}  // namespace haul::gateway
