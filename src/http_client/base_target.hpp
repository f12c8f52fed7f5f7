#pragma once
// Where a base URL sends requests (sans-IO). "unix:/run/haul/edge.sock" names
// a Unix socket (a local `haul edge`): requests go through it with
// http://localhost as their base URL. Anything else is a URL, unchanged.

#include <string>
#include <string_view>

namespace haul::http_client {

struct BaseTarget {
  std::string url;          // the base URL requests are built on
  std::string unix_socket;  // empty: TCP to the URL's host
};

inline constexpr std::string_view kUnixPrefix = "unix:";

// Throws Error(config) for "unix:" without a path.
BaseTarget split_base_target(std::string_view target);

}  // namespace haul::http_client
