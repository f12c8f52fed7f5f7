#pragma once
// `haul tls-init DIR`: a CA and a server certificate in a directory.
//   DIR/ca.pem          the CA certificate (give it to clients: --cacert)
//   DIR/ca-key.pem      the CA key (0600; stays here)
//   DIR/server.pem      the server certificate (--tls-cert)
//   DIR/server-key.pem  its key (0600; --tls-key)
// An existing CA (both files) is kept and only a new server certificate is
// issued, so clients that trust the CA keep working. Every file is written
// to a temporary name, synced and renamed: a gateway reloading on SIGHUP
// never reads half a file.

#include <string>

#include "tls/cert_issue.hpp"
#include "tls/server_context.hpp"

namespace haul::tls {

struct InitOptions {
  ServerNames names{{"localhost"}, {"127.0.0.1"}};
  int days = 365;      // the server certificate's validity
  int ca_days = 3650;  // a new CA's validity
};

struct InitResult {
  std::string ca_cert, ca_key, server_cert, server_key;  // paths
  bool ca_kept = false;                                  // an existing CA signed the new server certificate
  CertificateInfo server;
  std::string pin;  // public_key_pin of the server certificate
};

// Throws Error(config) for bad options, a lone CA file, or a CA key that
// does not match its certificate; Error(io) when a file cannot be written.
InitResult init_dir(const std::string& dir, const InitOptions& options);

}  // namespace haul::tls
