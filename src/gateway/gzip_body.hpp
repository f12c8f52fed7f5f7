#pragma once
// A response body in gzip (RFC 1952) for clients that accept it (zlib).

#include <string>
#include <string_view>

namespace haul::gateway {

// The gzip member of `body` (zlib's default level). Throws Error(internal)
// when zlib fails (out of memory).
std::string gzip_body(std::string_view body);

}  // namespace haul::gateway
