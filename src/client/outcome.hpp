#pragma once
// Sans-IO: what a finished request means: its Failure (from how the exchange
// ended, our own callbacks' refusal, or the status), the one-line error the
// user reads, and the ErrorKind an operation fails with.

#include <string>

#include "client/request.hpp"
#include "core/error.hpp"
#include "http_client/exchange.hpp"

namespace haul::client {

// Sets r.failure and r.error: a callback's refusal (local_error) first, then
// the exchange's failure, then a status other than 2xx or than
// r.expect_status. r.status, body and headers must be in. gateway names the
// server in messages.
void record_outcome(Request& r, const http_client::Outcome& outcome, const std::string& local_error,
                    const std::string& gateway);

// "MESSAGE (404 not_found)": the gateway's own words first, from its error
// JSON {"error", "message"}, or its X-Haul-Error header when the answer has
// no body (HEAD), or a short non-JSON body (a proxy's page); the status last.
std::string http_error_text(const Request& r);

// Error kind for an HTTP status or transport failure of a finished request.
ErrorKind error_kind_of(const Request& r);
// "put KEY: <request error>" as an Error of the right kind.
Error request_error(const std::string& op, const std::string& key, const Request& r);

}  // namespace haul::client
