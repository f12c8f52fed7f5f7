#pragma once
// Why a server-side TLS handshake failed, in a few classes: the label of
// haul_tls_handshake_failures_total{reason} (bounded whatever peers send)
// and what the session does next (a plain HTTP request gets a plain 400
// saying "use https"). Sans-IO: OpenSSL's reason code in, a class out.

#include <array>
#include <cstddef>
#include <string_view>

namespace haul::tls {

enum class HandshakeFailure {
  timeout,           // no complete handshake within the header timeout
  peer_closed,       // the peer closed or reset the connection midway
  plain_http,        // a plain HTTP request on the TLS port
  not_tls,           // bytes that are not a TLS record
  protocol_version,  // the client offered only versions we refuse (below 1.2)
  no_shared_cipher,  // no AEAD suite, group or signature algorithm in common
  no_alpn,           // the client offered ALPN, none of its protocols ours
  peer_alert,        // the client sent a fatal alert (often: it rejects our certificate)
  other,
};
inline constexpr size_t kHandshakeFailures = 9;

std::string_view failure_label(HandshakeFailure failure) noexcept;

// The class of a failure that OpenSSL reported with reason code `reason`
// (ERR_GET_REASON of the error; reasons from 1000 are alerts received).
HandshakeFailure classify_ssl_reason(int reason) noexcept;

}  // namespace haul::tls
