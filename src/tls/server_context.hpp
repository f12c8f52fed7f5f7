#pragma once
// The gateway's TLS policy on an OpenSSL SSL_CTX (no sockets here: the
// gateway hands the context to Asio's ssl streams; tests drive it through
// memory BIOs).
//
// - TLS 1.3 preferred, TLS 1.2 allowed with ECDHE and an AEAD only
//   (AES-GCM, ChaCha20-Poly1305); nothing older. AES-128-GCM first (the
//   fastest with AES-NI), ChaCha20 when the client prefers it (a device
//   without AES instructions).
// - No compression (CRIME), no renegotiation.
// - Session tickets sealed with in-memory rotated keys (ticket_keys.hpp);
//   no server-side session cache.
// - No 0-RTT early data: replayed early data could repeat a PUT, POST or
//   DELETE, and a resumed 1-RTT handshake already saves most (docs/tls.md).
// - ALPN: the first of the server's protocols that the client offers; a
//   client whose offer holds none of them gets the no_application_protocol
//   alert (RFC 7301 3.2); a client that sends no ALPN speaks HTTP/1.1.

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tls/ticket_keys.hpp"

namespace haul::tls {

struct ServerFiles {
  std::string cert_file;  // PEM: the server certificate first, then its intermediates
  std::string key_file;   // PEM: the private key, unencrypted
};

struct CertificateInfo {
  std::string subject;             // RFC 2253
  std::vector<std::string> names;  // subjectAltName DNS names and IP addresses
  int64_t not_before = 0;          // Unix seconds
  int64_t not_after = 0;           // Unix seconds
};

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const noexcept;
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct ServerContext {
  SslCtxPtr ctx;
  CertificateInfo certificate;
};

// A context with the policy above, the chain and key from `files`, tickets
// from `keys` (the context keeps a reference) and ALPN over `alpn` (most
// preferred first). Throws Error(config) naming the file and the reason
// when a file cannot be read, holds no certificate or key, the key is
// encrypted, or key and certificate do not match. An expired certificate is
// loaded (the caller warns): refusing it would leave no listener at all.
ServerContext make_server_context(const ServerFiles& files, std::shared_ptr<TicketKeys> keys,
                                  std::vector<std::string> alpn);

// Facts of a certificate (also for tls-init and tests).
CertificateInfo certificate_info(const X509* cert);

// What the policy can negotiate: the bounded label values of
// haul_tls_handshakes_total{protocol, cipher}.
std::span<const std::string_view> policy_protocols() noexcept;
std::span<const std::string_view> policy_ciphers() noexcept;

// The first OpenSSL error queued on this thread, as text (and the queue
// cleared); `fallback` when none is queued.
std::string take_openssl_error(std::string_view fallback);

}  // namespace haul::tls
