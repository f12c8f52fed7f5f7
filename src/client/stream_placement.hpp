#pragma once
// Which HTTP/2 connection carries a new stream (sans-IO: the pool keeps one
// libcurl multi per connection, pool.cpp, and asks here).

#include <cstddef>
#include <optional>
#include <span>

namespace haul::client {

struct StreamLoad {
  size_t in_flight = 0;  // streams on the connection now
  size_t gating = 0;     // of them, requests whose answer gates more (Request::gating)
};

// Index into `connections` (not empty) for a new stream:
// - the least loaded; ties go to the first, so one transfer at a time stays
//   on one warm connection;
// - other streams keep off connections carrying a gating request (a listing
//   page) while any connection carries none: on the 200 ms link a page queued
//   behind a hundred downloads' answers in one fresh window took two round
//   trips instead of one;
// - a gating request goes back to `last_gating` (where the previous one went)
//   while that carries no other gating request: the earlier pages' answers
//   widened its window, so a page twice the last still arrives in one round
//   trip.
size_t place_stream(std::span<const StreamLoad> connections, bool gating, std::optional<size_t> last_gating);

}  // namespace haul::client
