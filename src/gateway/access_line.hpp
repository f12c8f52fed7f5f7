#pragma once
// The access log's line (sans-IO): one JSON object per request, from a record
// the session fills when the request ends (docs/api.md, "Access log"):
//
//   {"ts":"2025-01-31T12:00:00.123Z","conn":17,"peer":"10.0.0.5:51234",
//    "method":"PUT","target":"/v1/objects/a?store=us","status":201,
//    "bytes_in":1048576,"bytes_out":120,"ms":12.345,"cut":false}
//
// No header is ever in it (the bearer token travels in Authorization).
// method and target are what the client sent, with secrets removed
// (redact.hpp) and then cut to kMaxMethod / kMaxTarget bytes. Bytes that are
// not UTF-8 become U+FFFD and JSON escaping covers quotes, backslashes and
// control bytes: a hostile target cannot break the line or forge another.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace haul::gateway {

struct AccessRecord {
  std::chrono::system_clock::time_point time;  // when the request ended
  uint64_t connection = 0;                     // per process, counted from 1 at accept
  std::string peer;                            // "ip:port"
  std::string method;                          // "-" when the request could not be parsed
  std::string target;                          // "-" likewise
  int status = 0;                              // the status line sent; 0: none (the peer left first)
  uint64_t bytes_in = 0;                       // request body bytes read
  uint64_t bytes_out = 0;                      // response body bytes sent
  double ms = 0;                               // from the request header to the end of the response
  bool cut = false;                            // the connection ended before the response did
};

inline constexpr size_t kMaxMethod = 32;
inline constexpr size_t kMaxTarget = 4096;

// One line of JSON, without the newline. secrets: the gateway's tokens.
std::string format_access_line(const AccessRecord& record, std::span<const std::string> secrets);

}  // namespace haul::gateway
