#pragma once
// Expected failures as values with a kind. The kind decides the HTTP status
// on the gateway, the exit message on the command line, and whether a client
// or the S3 store may retry. Bugs are asserts, not Errors.

#include <stdexcept>
#include <string>
#include <string_view>

namespace haul {

enum class ErrorKind {
  bad_request,            // malformed input from a peer (400)
  unauthorized,           // missing or wrong token (401)
  not_found,              // no such object or upload (404)
  method_not_allowed,     // route exists, method does not (405)
  conflict,               // state does not allow the operation (409)
  length_required,        // body length unknown where it must be known (411)
  payload_too_large,      // over a configured bound (413)
  range_not_satisfiable,  // Range outside the object (416)
  too_many_requests,      // over a per-client limit; retry later (429)
  headers_too_large,      // request header block over the limit (431)
  integrity,              // authentication of stored data failed (500, logged loudly)
  backend_unavailable,    // store backend failed or unreachable (502)
  backend_timeout,        // store backend did not answer in time (504)
  not_implemented,        // a protocol feature the gateway does not offer (501)
  io,                     // local I/O failure: disk full, read-only, permission (507)
  config,                 // bad flag, bad key file, bad store URL (command line)
  internal,               // anything else (500)
};

// HTTP status code that answers an error of this kind.
int http_status(ErrorKind kind) noexcept;
// Short stable name of the kind, used in JSON error bodies ("error": NAME).
std::string_view kind_name(ErrorKind kind) noexcept;

// what() is the whole story, for logs and the command line. A gateway client
// sees only public_message(): an Error built with a private detail (a file
// system path, a backend host) keeps that detail out of it.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind), public_size_(message.size()) {}
  // what() is "message: private_detail"; public_message() is message.
  Error(ErrorKind kind, const std::string& message, const std::string& private_detail)
      : std::runtime_error(private_detail.empty() ? message : message + ": " + private_detail),
        kind_(kind),
        public_size_(message.size()) {}
  ErrorKind kind() const noexcept { return kind_; }
  // The part of what() that may leave the process (a prefix of what()).
  std::string_view public_message() const noexcept { return std::string_view(what(), public_size_); }
  bool has_private_detail() const noexcept { return what()[public_size_] != '\0'; }

 private:
  ErrorKind kind_;
  size_t public_size_;
};

}  // namespace haul
