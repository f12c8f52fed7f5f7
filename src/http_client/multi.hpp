#pragma once
// Runs many Exchanges at once over one connection cache (libcurl's multi
// interface): a connection that one exchange opened carries the next, with
// its congestion window. Driven by its owner's loop (perform, poll,
// next_done); nothing runs between calls, so an exchange whose handler
// paused its body costs only its idle connection. One thread at a time.

#include <optional>
#include <string>
#include <vector>

#include "http_client/exchange.hpp"
#include "http_client/handles.hpp"

namespace haul::http_client {

class Multi {
 public:
  // HTTP/1.1 only: no waiting for a connection to maybe multiplex on.
  // Throws Error(internal) when libcurl cannot make a handle.
  Multi();
  // Closes the cached connections (their SocketHooks see it) as it goes.
  // Exchanges still added must be gone or removed first.

  // At most n connections at once (per host and in all: exchanges beyond
  // wait inside libcurl for a free one), all of them kept in the cache.
  void limit_connections(long n);
  // Lets HTTP/2 exchanges share connections, up to `streams` on each.
  void multiplex(long streams);

  // Starts a prepared exchange (it must stay alive until removed).
  // Throws Error(internal) when libcurl refuses it.
  void add(Exchange& exchange);
  // Stops driving it: one that has not ended is abandoned and its
  // connection closed; an ended one leaves its connection in the cache.
  void remove(Exchange& exchange);

  // Moves every added exchange as far as it goes without waiting; `running`
  // is how many have not ended. False on a failure of libcurl itself
  // (error() says which).
  bool perform(int& running);
  // Waits up to timeout_ms for socket activity (or wake()). False as above.
  bool poll(int timeout_ms);
  // The same over this multi's sockets and those of `others` (multis with
  // connection caches of their own), up to the earliest of all their timers.
  // The others' sockets come through curl_multi_fdset: every one of them must
  // be below FD_SETSIZE (the caller checks).
  bool poll(int timeout_ms, const std::vector<Multi*>& others);
  const std::string& error() const { return error_; }

  struct Done {
    Exchange* exchange;
    Outcome outcome;
  };
  // The next exchange that ended since the last call, or nullopt. Stays added
  // until remove().
  std::optional<Done> next_done();

 private:
  MultiHandle multi_;
  std::string error_;
};

}  // namespace haul::http_client
