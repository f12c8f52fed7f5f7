// haul edge: flags -> EdgeConfig -> run (docs/edge.md).
#include <spdlog/spdlog.h>

#include "apps/haul/commands.hpp"
#include "apps/haul/seconds_flag.hpp"
#include "core/error.hpp"
#include "core/size_parse.hpp"
#include "edge/edge.hpp"

namespace haul::app {

void add_edge_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "edge",
      "Run the edge: a local daemon that carries unmodified clients' requests (the seed's script, curl,\n"
      "boto3, haul) to the gateway over connections it keeps warm across the long link. Local clients\n"
      "pay only a loopback connection; only the URL changes (docs/edge.md).\n"
      "Example: haul edge --listen 127.0.0.1:8080 --gateway https://gw.example:8443 \\\n"
      "           --token-file gateway-token --client-token-file local-tokens --cacert ca.pem\n"
      "SIGHUP reloads the client token file and the gateway token file.");
  // Read before parsing (config_file.hpp): declared here for --help.
  cmd->add_option("--config", "TOML/INI file of options (keys: the flags' names; flags win)")->type_name("FILE");
  auto config = std::make_shared<edge::EdgeConfig>();
  auto listen = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"127.0.0.1:8080"});
  cmd->add_option("--listen", *listen,
                  "Where local clients connect (plain HTTP/1.1 or h2c): HOST:PORT (clients present a token of\n"
                  "--client-token-file), unix:PATH (a Unix socket, mode 0660: its permissions admit clients,\n"
                  "no token), or one of each (the flag twice)")
      ->capture_default_str();
  cmd->add_option("--gateway", config->gateway_url, "The gateway: https://HOST:PORT (or http:// on a trusted path)")
      ->required();
  cmd->add_option("--token-file", config->gateway_token_file,
                  "The gateway's bearer token (first token of the file): added to requests, never shown to\n"
                  "local clients (reloaded on SIGHUP)")
      ->required();
  cmd->add_option("--client-token-file", config->local.token_file,
                  "Bearer tokens local clients present, one a line (the gateway's token-file format;\n"
                  "reloaded on SIGHUP); needed with a HOST:PORT --listen. S3 requests pass with their own\n"
                  "SigV4 signature instead");
  cmd->add_option("--cacert", config->ca_file, "PEM CA certificates that verify an https:// gateway (default: system)");
  cmd->add_option("--connections", config->warm_connections,
                  "Gateway connections kept open and idle (warm); more open on demand")
      ->capture_default_str();
  auto warm_window = std::make_shared<std::string>("1M");
  cmd->add_option("--warm-window", *warm_window,
                  "Bytes each new gateway connection sends up and reads down before it serves, so both\n"
                  "congestion windows are open (paths of 5 ms RTT or more; 0: off; docs/edge.md)")
      ->capture_default_str();
  auto upstream_http2 = std::make_shared<std::string>("auto");
  cmd->add_option("--upstream-http2", *upstream_http2,
                  "HTTP/2 to the gateway: auto (when an https:// gateway offers h2 by ALPN: local requests\n"
                  "ride as streams on the warm connections), off (HTTP/1.1, a connection per request in\n"
                  "flight), h2c (an http:// haul gateway, HTTP/2 with prior knowledge; docs/edge.md)")
      ->capture_default_str();
  add_seconds(cmd, "--connect-timeout", config->connect_timeout, "Seconds to reach the gateway (TCP and TLS)");
  add_seconds(cmd, "--idle-timeout", config->local.idle_timeout, "Seconds an idle local connection stays open");
  add_seconds(cmd, "--body-timeout", config->local.body_timeout,
              "Longest pause (seconds) inside a body, either side, or waiting for the gateway's answer");
  cmd->add_option("--max-connections", config->local.max_connections, "Local connections open at most")
      ->capture_default_str();
  cmd->add_option("--io-threads", config->local.io_threads, "I/O threads (0: one per core)")->capture_default_str();
  cmd->add_option("--access-log", config->local.access_log,
                  "One JSON line per local request: - for standard output, a file to append to, or off")
      ->capture_default_str();

  cmd->callback([=] {
    edge::apply_listen_flags(*listen, config->local);
    const auto window = parse_size(*warm_window);
    if (!window) throw Error(ErrorKind::config, "--warm-window: not a size: " + *warm_window);
    config->warm_window_bytes = *window;
    config->upstream_http2 = edge::parse_upstream_http2(*upstream_http2);
    // Bodies stream through: the local side needs no blocking pool of size.
    config->local.blocking_threads = 2;
    config->local.h2.connection_window = config->local.h2.stream_window;
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    edge::run_edge(*config);
  });
}

}  // namespace haul::app
