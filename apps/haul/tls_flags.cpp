#include "apps/haul/tls_flags.hpp"

#include <cstdio>
#include <cstdlib>

namespace haul::app {

void add_tls_flags(CLI::App* cmd, http_client::TlsOptions& tls) {
  cmd->add_option("--cacert", tls.ca_file,
                  "https:// gateway: PEM file of the CA(s) to trust (env HAUL_CACERT); default: the system's store");
  cmd->add_option("--pin-sha256", tls.pin_sha256,
                  "https:// gateway: also require its public key's SHA-256 to be this (base64, as curl's "
                  "--pinnedpubkey sha256//...)");
  cmd->add_flag("--insecure", tls.insecure,
                "https:// gateway: do not verify its certificate at all (prints a warning; tests only)");
}

void finish_tls_flags(http_client::TlsOptions& tls, const std::string& gateway) {
  if (tls.ca_file.empty())
    if (const char* env = std::getenv("HAUL_CACERT")) tls.ca_file = env;
  http_client::validate_tls(tls);
  if (tls.insecure && gateway.starts_with("https://"))
    std::fprintf(stderr,
                 "haul: warning: --insecure: the gateway's certificate is not checked; anyone on the path "
                 "can read and change this transfer and its token\n");
}

}  // namespace haul::app
