#pragma once
// Request body framing (RFC 9112 §6), decided from the header alone before a
// byte of body is read (sans-IO). Beast parses Content-Length and a final
// `chunked`, but it takes any other Transfer-Encoding as "no body" and would
// read the body as the next request: a smuggling primitive behind any proxy.
// So the session asks this first and refuses everything but
//
//   - no body framing on a request that carries no body (GET, HEAD, DELETE),
//   - Content-Length alone,
//   - Transfer-Encoding: chunked alone (one coding, once).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace haul::gateway {

struct FramingFacts {
  std::string_view method;
  std::vector<std::string_view> transfer_encoding;  // every Transfer-Encoding field value, in order
  bool content_length = false;                      // a (valid) Content-Length was given
  bool http10 = false;                              // HTTP/1.0 request
};

// nullopt: the framing is acceptable. Otherwise the error to answer, after
// which the connection must close (its next bytes cannot be trusted to start
// a request): bad_request (400) for a Transfer-Encoding that does not end in
// chunked, chunked twice, or any Transfer-Encoding on HTTP/1.0; not_implemented
// (501) for a coding before a final chunked (gzip, chunked); length_required
// (411) for a PUT or POST with neither Content-Length nor chunked (it would
// store an empty object).
std::optional<Error> check_framing(const FramingFacts& facts);

}  // namespace haul::gateway
