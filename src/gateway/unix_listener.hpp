#pragma once
// A listening Unix socket (the edge's --listen unix:PATH): local programs
// reach the edge without a TCP handshake or a token; who may connect is
// decided by the socket file's permissions (0660: the owner and its group).

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <string>

namespace haul::gateway {

// Binds PATH after removing a stale socket file that nobody listens on.
// Creates a missing parent directory (0755). Throws Error(config) when PATH
// is too long, is not a socket, or a live process listens on it; Error(io)
// when binding fails.
boost::asio::local::stream_protocol::acceptor open_unix_listener(boost::asio::io_context& ioc, const std::string& path,
                                                                 int backlog);

// Removes the socket file at shutdown, if it is still ours (a socket).
void remove_unix_listener(const std::string& path);

}  // namespace haul::gateway
