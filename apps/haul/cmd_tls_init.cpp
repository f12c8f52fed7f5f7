// haul tls-init DIR: a small CA and a server certificate for the gateway's
// TLS listener, and the flags to use on both sides.
#include <iostream>
#include <memory>

#include "apps/haul/commands.hpp"
#include "core/error.hpp"
#include "tls/init_dir.hpp"

namespace haul::app {

void add_tls_init_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "tls-init",
      "Write a small CA and a server certificate for the gateway's TLS listener into DIR: ca.pem (give it to\n"
      "clients), ca-key.pem (mode 0600, stays in DIR), server.pem and server-key.pem (0600) for --tls-cert and\n"
      "--tls-key. ECDSA P-256. Run it again to issue a new server certificate (other names, a renewal): an\n"
      "existing CA in DIR is kept, so clients that trust it keep working. Prints the flags for both sides.");
  auto dir = std::make_shared<std::string>();
  auto options = std::make_shared<tls::InitOptions>();
  auto names = std::make_shared<std::vector<std::string>>();
  auto ips = std::make_shared<std::vector<std::string>>();
  cmd->add_option("DIR", *dir, "Directory for the files (made with mode 0700 when missing)")->required();
  cmd->add_option("--name", *names, "DNS name the server answers to, repeatable (default: localhost)");
  cmd->add_option("--ip", *ips, "IP address the server answers on, repeatable (default: 127.0.0.1)");
  cmd->add_option("--days", options->days, "Days the server certificate is valid")->capture_default_str();
  cmd->callback([=] {
    if (!names->empty() || !ips->empty()) options->names = {*names, *ips};
    const tls::InitResult r = tls::init_dir(*dir, *options);
    const std::string host = r.server.names.empty() ? "localhost" : r.server.names.front();
    const std::string url_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    std::cout << (r.ca_kept ? "kept the existing CA " + r.ca_cert + " (clients that trust it keep working)\n"
                            : "new CA: " + r.ca_cert + " (key " + r.ca_key + ", mode 0600)\n");
    std::cout << "server certificate: " << r.server_cert << " (key " << r.server_key << ", mode 0600) for";
    for (const auto& n : r.server.names) std::cout << " " << n;
    std::cout << ", valid " << options->days << " days\n"
              << "server key pin (SHA-256 of its public key): " << r.pin << "\n\n"
              << "gateway:\n  haul gateway --tls-listen 127.0.0.1:8443 --tls-cert " << r.server_cert << " --tls-key "
              << r.server_key << " ...\n"
              << "  (add --listen HOST:PORT to keep a plain HTTP listener too; kill -HUP reloads new files)\n"
              << "clients:\n  export HAUL_GATEWAY=https://" << url_host << ":8443\n"
              << "  haul put --cacert " << r.ca_cert << " FILE KEY\n"
              << "  curl --cacert " << r.ca_cert << " https://" << url_host << ":8443/healthz\n"
              << "  requests.get(\"https://" << url_host << ":8443/healthz\", verify=\"" << r.ca_cert << "\")\n"
              << "  curl --pinnedpubkey sha256//" << r.pin << " ... (a pinned key instead of the CA)\n";
  });
}

}  // namespace haul::app
