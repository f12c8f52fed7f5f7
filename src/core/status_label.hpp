#pragma once
// The value of a "code" label in /metrics for an HTTP status (sans-IO).
//
// Label values must come from a small fixed set: every distinct value is a
// series the gateway keeps forever. A status the HTTP RFCs define (RFC 9110's
// registry plus 429, 431, 451, 507, 511) keeps its number; any other status
// in 100..599 becomes its class ("2xx"); anything else, including 0 (no HTTP
// answer), is "other". So at most 56 values, whoever chose the status (a
// handler, or an S3 backend run by someone else).

#include <string>

namespace haul {

std::string status_label(long status);

}  // namespace haul
