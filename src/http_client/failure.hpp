#pragma once
// Sans-IO: what went wrong with an HTTP exchange, as the kinds that decide
// retries (retry.hpp) and error kinds. The one place that reads libcurl's
// result codes (given as int, so this header needs no curl.h).

#include <string_view>

#include "core/error.hpp"

namespace haul::http_client {

enum class Failure {
  none,
  connect,    // nothing reached the server: resolving or connecting failed
  transport,  // the connection broke mid-exchange (reset, closed, truncated, bad framing)
  timeout,    // stalled below the rate floor, or over the deadline
  http,       // an answer came, with a status its caller counts as a failure
  tls,        // the server's certificate or key is not the trusted one (unknown CA, wrong
              // name, expired, pin mismatch) or the TLS handshake failed: not retried
  local,      // our own side stopped it (a callback refused: disk full, read error, a body
              // over its bound, a declined connection) or cannot make it (bad URL, TLS setup)
};

// The Failure of a libcurl result code (CURLcode). CURLE_OK is none; never http.
Failure classify_curl(int curl_code) noexcept;

// The ErrorKind of a failed exchange with a haul gateway as its client sees
// it: a transport failure is the server's (backend_unavailable /
// backend_timeout), a local one an I/O failure, a TLS one a configuration
// failure (the trust settings or the gateway's certificate must change
// before a retry can succeed), an HTTP status the kind the gateway answers
// with that status (core/error.hpp http_status(), inverted; internal for
// any other). For `none` it is the status's kind too.
ErrorKind error_kind(Failure failure, int http_status) noexcept;

// For Failure::tls: what to check, one short clause for the message
// ("pass --cacert ..."); "" for other codes.
std::string_view tls_hint(int curl_code) noexcept;

// "connect", "transport", ... for logs and tests.
std::string_view failure_name(Failure failure) noexcept;

}  // namespace haul::http_client
