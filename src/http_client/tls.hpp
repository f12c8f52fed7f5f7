#pragma once
// Sans-IO: how an exchange checks the server of an https:// URL (a plain
// struct the callers fill from their flags), and the rules around it: the
// pin's syntax and the key a TLS session is filed under. No libcurl, no
// OpenSSL.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace haul::http_client {

// Applied to every exchange of an https:// URL (ignored for http://).
// Verification is on unless `insecure`: the chain must lead to a CA of
// `ca_file` (or the system's store when empty) and name the URL's host.
struct TlsOptions {
  std::string ca_file;     // PEM file of trusted CAs; empty: the system's store
  std::string pin_sha256;  // base64 SHA-256 of the server's public key (SPKI), with or
                           // without "sha256//"; empty: no pin. Checked on top of the chain.
  bool insecure = false;   // no verification at all: only by an explicit flag
};

// Throws Error(config) with one readable line, naming the flags (--pin-sha256,
// --cacert, --insecure): a well-formed pin, a readable CA file, and
// --insecure alone.
void validate_tls(const TlsOptions& tls);

// The pin as CURLOPT_PINNEDPUBLICKEY takes it ("sha256//BASE64") from
// "BASE64" or "sha256//BASE64"; nullopt unless BASE64 is 44 characters of
// base64 with one '=' of padding (32 bytes, a SHA-256).
std::optional<std::string> curl_pin(std::string_view pin);

// "host:port" of an http(s) URL, the port filled in from the scheme (443,
// 80) when absent; IPv6 hosts keep their brackets. "" when there is no host.
std::string url_host_port(std::string_view url);

// The key a resumable session of a connection to host_port is filed under:
// a session is offered again only to the same host and port under the same
// trust settings (CA file, pin, insecure), since resuming skips the
// certificate check of the new connection.
std::string session_key(std::string_view host_port, const TlsOptions& tls);

}  // namespace haul::http_client

namespace haul::http_client {

// What one TLS connection negotiated, read from it while it is open
// (Options::inspect_tls): the doctor's TLS checks.
struct TlsConnection {
  std::string protocol;                   // "TLSv1.3"
  std::string cipher;                     // "TLS_AES_256_GCM_SHA384"
  std::string alpn;                       // "http/1.1", "" when none was agreed
  bool resumed = false;                   // an abbreviated handshake with an earlier session
  std::string subject;                    // the server certificate's subject, one line
  std::optional<int64_t> not_after_unix;  // when that certificate expires
};

}  // namespace haul::http_client
