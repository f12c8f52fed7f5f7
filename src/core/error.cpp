#include "core/error.hpp"

namespace haul {

int http_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::bad_request: return 400;
    case ErrorKind::unauthorized: return 401;
    case ErrorKind::not_found: return 404;
    case ErrorKind::method_not_allowed: return 405;
    case ErrorKind::conflict: return 409;
    case ErrorKind::length_required: return 411;
    case ErrorKind::payload_too_large: return 413;
    case ErrorKind::range_not_satisfiable: return 416;
    case ErrorKind::too_many_requests: return 429;
    case ErrorKind::headers_too_large: return 431;
    case ErrorKind::not_implemented: return 501;
    case ErrorKind::backend_unavailable: return 502;
    case ErrorKind::backend_timeout: return 504;
    case ErrorKind::io: return 507;
    case ErrorKind::integrity:
    case ErrorKind::config:
    case ErrorKind::internal: return 500;
  }
  return 500;
}

std::string_view kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::bad_request: return "bad_request";
    case ErrorKind::unauthorized: return "unauthorized";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::method_not_allowed: return "method_not_allowed";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::length_required: return "length_required";
    case ErrorKind::payload_too_large: return "payload_too_large";
    case ErrorKind::range_not_satisfiable: return "range_not_satisfiable";
    case ErrorKind::too_many_requests: return "too_many_requests";
    case ErrorKind::headers_too_large: return "headers_too_large";
    case ErrorKind::integrity: return "integrity";
    case ErrorKind::backend_unavailable: return "backend_unavailable";
    case ErrorKind::backend_timeout: return "backend_timeout";
    case ErrorKind::not_implemented: return "not_implemented";
    case ErrorKind::io: return "io";
    case ErrorKind::config: return "config";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

}  // namespace haul
