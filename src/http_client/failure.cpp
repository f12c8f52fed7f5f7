#include "http_client/failure.hpp"

#include <curl/curl.h>

#include <cerrno>

namespace haul::http_client {

Failure classify_curl(int curl_code) noexcept {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK: return Failure::none;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return Failure::connect;
    case CURLE_OPERATION_TIMEDOUT: return Failure::timeout;
    // A callback of ours said stop, or the request cannot be made as set up:
    // repeating it changes nothing.
    case CURLE_WRITE_ERROR:
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_FAILED_INIT:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_SETOPT_OPTION_SYNTAX:
    case CURLE_RECURSIVE_API_CALL:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CLIENTCERT: return Failure::local;
    // The server is not the one we trust, or no TLS session could be set up
    // with it: the same server answers the same way next time.
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CIPHER: return Failure::tls;
    default:
      // Sending or receiving failed, nothing or garbage came back, a resend
      // on a dead reused connection could not rewind, TLS broke: the
      // connection's or the server's failure.
      return Failure::transport;
  }
}

ErrorKind error_kind(Failure failure, int http_status) noexcept {
  switch (failure) {
    case Failure::connect:
    case Failure::transport: return ErrorKind::backend_unavailable;
    case Failure::timeout: return ErrorKind::backend_timeout;
    case Failure::local: return ErrorKind::io;
    case Failure::tls: return ErrorKind::config;
    case Failure::none:
    case Failure::http: break;
  }
  switch (http_status) {
    case 400: return ErrorKind::bad_request;
    case 401:
    case 403: return ErrorKind::unauthorized;
    case 404: return ErrorKind::not_found;
    case 405: return ErrorKind::method_not_allowed;
    case 409: return ErrorKind::conflict;
    case 411: return ErrorKind::length_required;
    case 413: return ErrorKind::payload_too_large;
    case 416: return ErrorKind::range_not_satisfiable;
    case 429: return ErrorKind::too_many_requests;
    case 431: return ErrorKind::headers_too_large;
    case 501: return ErrorKind::not_implemented;
    case 502:
    case 503: return ErrorKind::backend_unavailable;
    case 504: return ErrorKind::backend_timeout;
    case 507: return ErrorKind::io;
    default: return ErrorKind::internal;
  }
}

std::string_view tls_hint(int curl_code) noexcept {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return "certificate not trusted: pass --cacert FILE with the gateway's CA, and check the host name "
             "in the URL and the certificate's dates";
    case CURLE_SSL_CACERT_BADFILE: return "the --cacert file cannot be read as PEM certificates";
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: return "the gateway's public key does not match --pin-sha256";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER: return "TLS handshake failed: is the gateway serving TLS on this port?";
    default: return "";
  }
}

namespace {
// What libcurl 7.88 writes first on a Fast Open connection whose SYN has not left.
constexpr std::string_view kDeferredConnectText = "getpeername() failed";
}  // namespace

Failure refine_failure(int curl_code, std::string_view error_buffer, int os_errno) noexcept {
  const Failure failure = classify_curl(curl_code);
  const auto code = static_cast<CURLcode>(curl_code);
  const bool first_send_failed =
      code == CURLE_SSL_CONNECT_ERROR || code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR;
  const bool never_connected = os_errno == ECONNREFUSED || os_errno == EHOSTUNREACH || os_errno == ENETUNREACH;
  return first_send_failed && never_connected && error_buffer.starts_with(kDeferredConnectText) ? Failure::connect
                                                                                                : failure;
}

std::string failure_detail(int curl_code, std::string_view error_buffer, std::string_view verify_problem,
                           std::string_view description) {
  if (!error_buffer.empty() && !error_buffer.starts_with(kDeferredConnectText)) return std::string(error_buffer);
  if (curl_code == CURLE_PEER_FAILED_VERIFICATION) {
    if (!verify_problem.empty()) return "SSL certificate problem: " + std::string(verify_problem);
    return "SSL: no alternative certificate subject name matches target host name";
  }
  return std::string(description);
}

std::string_view failure_name(Failure failure) noexcept {
  switch (failure) {
    case Failure::none: return "none";
    case Failure::connect: return "connect";
    case Failure::transport: return "transport";
    case Failure::timeout: return "timeout";
    case Failure::http: return "http";
    case Failure::tls: return "tls";
    case Failure::local: return "local";
  }
  return "unknown";
}

}  // namespace haul::http_client
