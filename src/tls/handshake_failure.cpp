#include "tls/handshake_failure.hpp"

#include <openssl/ssl.h>

namespace haul::tls {

std::string_view failure_label(HandshakeFailure failure) noexcept {
  switch (failure) {
    case HandshakeFailure::timeout: return "timeout";
    case HandshakeFailure::peer_closed: return "peer_closed";
    case HandshakeFailure::plain_http: return "plain_http";
    case HandshakeFailure::not_tls: return "not_tls";
    case HandshakeFailure::protocol_version: return "protocol_version";
    case HandshakeFailure::no_shared_cipher: return "no_shared_cipher";
    case HandshakeFailure::no_alpn: return "no_alpn";
    case HandshakeFailure::peer_alert: return "peer_alert";
    case HandshakeFailure::other: break;
  }
  return "other";
}

HandshakeFailure classify_ssl_reason(int reason) noexcept {
  if (reason >= SSL_AD_REASON_OFFSET) return HandshakeFailure::peer_alert;
  switch (reason) {
    case SSL_R_HTTP_REQUEST: return HandshakeFailure::plain_http;
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_BAD_PACKET:
    case SSL_R_LENGTH_MISMATCH:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_UNEXPECTED_RECORD: return HandshakeFailure::not_tls;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_INAPPROPRIATE_FALLBACK: return HandshakeFailure::protocol_version;
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM: return HandshakeFailure::no_shared_cipher;
    case SSL_R_NO_APPLICATION_PROTOCOL: return HandshakeFailure::no_alpn;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING: return HandshakeFailure::peer_closed;
    default: return HandshakeFailure::other;
  }
}

}  // namespace haul::tls
