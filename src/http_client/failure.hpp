#pragma once
// Sans-IO: what went wrong with an HTTP exchange, as the kinds that decide
// retries (retry.hpp) and error kinds. The one place that reads libcurl's
// result codes (given as int, so this header needs no curl.h).

#include <string>
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

// With TCP Fast Open the connect is deferred to the first send (over TLS the
// ClientHello), so libcurl 7.88 reports a connection that never came up as
// a failed TLS handshake ("SSL connect error") or a failed send or receive.
// Such an exchange is told by its error buffer (the getpeername text of a
// deferred connect, failure_detail below) and the socket's errno
// (CURLINFO_OS_ERRNO): refused or unreachable makes it a connect failure,
// with a connect failure's retries and message. (libcurl never clears that
// errno, so it may be an earlier exchange's: the code and the buffer narrow
// it to handshakes and sends that failed on a deferred connect.)
Failure refine_failure(int curl_code, std::string_view error_buffer, int os_errno) noexcept;

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

// The one-line detail of a failed exchange: libcurl's error buffer, else its
// fixed description (curl_easy_strerror). libcurl 7.88 writes "getpeername() failed with errno
// 107: ..." into the buffer when a TCP Fast Open connection's SYN has not
// left yet (it reads the peer's address right after the deferred connect),
// and the buffer keeps its first text, so a later failure's own one (an
// expired certificate) never reaches it. Such a buffer says nothing about
// the failure: the detail is rebuilt from the code and, for a certificate
// that did not verify, `verify_problem` (OpenSSL's text for the
// verification result; empty when the chain verified, which leaves the
// host name check).
std::string failure_detail(int curl_code, std::string_view error_buffer, std::string_view verify_problem,
                           std::string_view description);

// "connect", "transport", ... for logs and tests.
std::string_view failure_name(Failure failure) noexcept;

}  // namespace haul::http_client
