#pragma once
// Which header fields cross the edge, in each direction (sans-IO): RFC 9110
// 7.6.1's hop-by-hop fields stay on their hop (Connection and the fields it
// names, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade,
// Proxy-Authorization/-Connection), framing is the edge's own (it sets
// Content-Length or chunked for its hop), `Expect` was answered locally, and
// HTTP/2 pseudo-fields become the request line. Everything else passes
// unchanged, Host included, so an S3 request's SigV4 signature still
// verifies at the gateway.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haul::edge {

using Fields = std::vector<std::pair<std::string, std::string>>;

// The local request's fields as they go to the gateway. `gateway_authorization`
// ("Bearer TOKEN") replaces the local client's Authorization; empty keeps the
// client's own (an S3 request's SigV4). `authority` (the local Host or
// HTTP/2 :authority) becomes Host when the fields carry none.
Fields upstream_request_fields(const Fields& local, std::string_view gateway_authorization, std::string_view authority);

// The gateway's response fields as they go to the local client (its framing
// is the local hop's: Content-Length is set by the exchange).
Fields downstream_response_fields(const Fields& upstream);

// "Bearer TOKEN" from a token file's first token: the gateway token file's
// format is the gateway's (tokens.hpp). Throws Error(config) when empty.
std::string bearer_from_token_file(std::string_view file_text, std::string_view path);

// A request the gateway may have acted on is sent again only when its method
// is idempotent (RFC 9110 9.2.2).
bool idempotent(std::string_view method);

// A response without a length is collected whole: the gateway always sends
// lengths, so this bounds only a misbehaving peer (both relays, HTTP/1.1 and
// HTTP/2).
inline constexpr size_t kUnframedResponseLimit = 64u << 20;

}  // namespace haul::edge
