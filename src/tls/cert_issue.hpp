#pragma once
// A small certificate authority for `haul tls-init` (sans-IO: PEM text in
// and out, the time as a parameter). ECDSA P-256 keys, SHA-256 signatures,
// X.509 v3 with the extensions browsers, curl and Python check: the CA is
// CA:TRUE (path length 0, keyCertSign), the server certificate CA:FALSE,
// digitalSignature, serverAuth, its names in subjectAltName.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace haul::tls {

struct PemPair {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8, unencrypted: keep it private (mode 0600)
};

struct ServerNames {
  std::vector<std::string> dns;  // host names ("localhost", "gw.example", "*.example")
  std::vector<std::string> ips;  // IPv4 or IPv6 addresses
};

// Throws Error(config) naming a DNS name that is not letters, digits, '-'
// and '.' (a leading "*." allowed), or an address that is not IPv4/IPv6.
void validate_names(const ServerNames& names);

// A self-signed CA valid from an hour before `now` (clock skew) for `days`.
PemPair make_ca(std::string_view common_name, int days, int64_t now_unix);

// A server certificate for `names` (at least one) signed by `ca`, valid from
// an hour before `now` for `days`. Throws Error(config) when ca's key does
// not match its certificate or names are invalid.
PemPair issue_server_certificate(const PemPair& ca, const ServerNames& names, int days, int64_t now_unix);

// base64(SHA-256(SubjectPublicKeyInfo)) of a certificate's key: the pin
// curl takes as --pinnedpubkey sha256//PIN. Throws Error(config).
std::string public_key_pin(std::string_view cert_pem);

}  // namespace haul::tls
