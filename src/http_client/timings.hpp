#pragma once
// Plain data: when each step of one HTTP exchange happened.

namespace haul::http_client {

// Milliseconds from the start of the exchange to each step (libcurl's
// CURLINFO_*_TIME_T, which count from the start of the transfer).
struct Timings {
  double dns_ms = 0;         // name resolved
  double connect_ms = 0;     // TCP connected (0 on a reused connection)
  double sent_ms = 0;        // request about to be sent (PRETRANSFER)
  double first_byte_ms = 0;  // first response byte (STARTTRANSFER)
  double total_ms = 0;
  // The TLS handshake's own time (APPCONNECT - CONNECT): 0 for plain http
  // and on a reused connection.
  double tls_ms = 0;
};

}  // namespace haul::http_client
