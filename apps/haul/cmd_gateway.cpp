// haul gateway: flags (or a config file; flags win) -> GatewayConfig -> run.
#include <spdlog/spdlog.h>

#include "apps/haul/commands.hpp"
#include "apps/haul/seconds_flag.hpp"
#include "core/error.hpp"
#include "gateway/config.hpp"
#include "gateway/gateway.hpp"

namespace haul::app {

void add_gateway_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "gateway",
      "Run the HTTP gateway: encrypts every upload as a stream into the store and serves decrypted,\n"
      "range-readable downloads over long-lived keep-alive connections. API: docs/api.md.\n"
      "Example: haul gateway --listen 0.0.0.0:8080 --store fs:/var/lib/haul \\\n"
      "           --master-key-file keys --token-file tokens\n"
      "HTTPS: add --tls-listen 0.0.0.0:8443 --tls-cert server.pem --tls-key server-key.pem (haul tls-init\n"
      "makes a CA and both files); without --listen the gateway then serves TLS only (docs/tls.md).\n"
      "SIGHUP reloads the token file and the TLS certificate and key without dropping connections.");
  cmd->add_option("--config", "TOML/INI file of options (keys: the flags' names; flags win)")->type_name("FILE");
  auto config = std::make_shared<gateway::GatewayConfig>();
  auto listen = std::make_shared<std::string>(config->listen_host + ":" + std::to_string(config->listen_port));
  auto stores = std::make_shared<std::vector<std::string>>();
  auto store_ids = std::make_shared<std::vector<std::string>>();

  auto* listen_flag =
      cmd->add_option("--listen", *listen,
                      "HOST:PORT for plain HTTP; with --tls-listen and without --listen, no plain listener runs")
          ->capture_default_str();
  auto tls_listen = std::make_shared<std::string>();
  cmd->add_option("--tls-listen", *tls_listen, "HOST:PORT for HTTPS (needs --tls-cert and --tls-key)");
  cmd->add_option("--tls-cert", config->tls.cert_file,
                  "PEM file: the server certificate, then any intermediates (reloaded on SIGHUP)");
  cmd->add_option("--tls-key", config->tls.key_file,
                  "PEM file: the certificate's private key, unencrypted (reloaded on SIGHUP)");
  cmd->add_option("--store", *stores,
                  "Store URL, repeatable: fs:DIR (local directory) or\n"
                  "s3://BUCKET[/PREFIX]?endpoint=URL&region=R; NAME=URL names a store that requests pick\n"
                  "with the X-Haul-Store header or ?store=NAME; the first (or one named 'default') is the default")
      ->required();
  cmd->add_option("--store-id", *store_ids,
                  "NAME=ID, repeatable: the identity bound into store NAME's objects (default: its name).\n"
                  "Objects only open under the id they were sealed for: keep the old id when renaming a store\n"
                  "(docs/format.md, section 3.1)");
  cmd->add_option("--master-key-file", config->master_key_file,
                  "Key file (ID:HEX lines, from haul keygen); newest id seals, all ids open")
      ->required();
  cmd->add_option("--token-file", config->token_file, "Bearer tokens, one a line; every route but /healthz needs one")
      ->required();
  add_seconds(cmd, "--idle-timeout", config->idle_timeout, "Seconds an idle keep-alive connection stays open");
  add_seconds(cmd, "--header-timeout", config->header_timeout,
              "Seconds from a request's first byte to its last header byte");
  add_seconds(cmd, "--first-byte-timeout", config->first_byte_timeout,
              "Seconds a new connection may stay silent before it is closed");
  cmd->add_option("--max-connections", config->max_connections,
                  "Open connections at most; beyond, the longest-idle one is closed to make room,\n"
                  "or a new one gets 503 when none is idle")
      ->capture_default_str();
  add_seconds(cmd, "--body-timeout", config->body_timeout, "Longest pause (seconds) inside a request or response body");
  add_seconds(cmd, "--upload-expiry", config->upload_expiry,
              "Seconds after which an unfinished parts upload is refused");
  cmd->add_option("--io-threads", config->io_threads, "I/O threads (0: one per core)")->capture_default_str();
  cmd->add_option("--blocking-threads", config->blocking_threads,
                  "Threads for short store steps (a chunk written, a commit, a list page)")
      ->capture_default_str();
  cmd->add_option("--min-send-rate", config->send_rate.min_bytes_per_second,
                  "Bytes/s a client must take of a response body, measured over --send-rate-window\n"
                  "of send time; a slower one is cut (0: no minimum)")
      ->capture_default_str();
  add_seconds(cmd, "--send-rate-window", config->send_rate.window, "Seconds over which --min-send-rate is measured");
  cmd->add_option("--max-requests-per-token", config->max_requests_per_token,
                  "Requests one bearer token may have in progress; beyond: 429 with Retry-After")
      ->capture_default_str();
  // Downloads no longer hold a thread each; kept so existing command lines
  // and config files still start the gateway. No variable is bound: CLI11
  // keeps the value, which nothing reads.
  auto* stream_threads_flag =
      cmd->add_option("--stream-threads", "Ignored (deprecated: downloads hold no thread)")->group("");
  cmd->add_option("--congestion", config->congestion,
                  "TCP congestion control of served connections: auto (default: cubic or bbr chosen per download body, "
                  "see docs/client.md), a name to pin (cubic, bbr), or '' for the host's");
  cmd->add_option("--h2-window", config->h2.stream_window,
                  "HTTP/2 flow-control window (bytes) per stream and per connection: what a client may send\n"
                  "ahead of what the store has taken; size it to the path's BDP (default: 1 Gbit/s x 200 ms)")
      ->capture_default_str();
  cmd->add_option("--h2-max-streams", config->h2.max_concurrent_streams,
                  "HTTP/2 streams (requests) in progress at once on one connection")
      ->capture_default_str();
  cmd->add_option("--access-log", config->access_log,
                  "One JSON line per request (docs/api.md): - for standard output, a file to append to,\n"
                  "or off; never a header or a token")
      ->capture_default_str();
  cmd->add_option("--s3-credentials-file", config->s3_credentials_file,
                  "Turns on the S3 API: ACCESS_KEY_ID:SECRET[:BUCKET,...] a line (reloaded on SIGHUP)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--s3-domain", config->s3_domain,
                  "Serve virtual-host style S3 requests for BUCKET.DOMAIN (path style always works)");
  cmd->add_option("--s3-region", config->s3_region, "The region S3 clients sign for")->capture_default_str();
  cmd->add_option("--min-format", config->min_format,
                  "Oldest object format served: 1 (default) also serves format-1 objects, which are not bound\n"
                  "to their key and store; 2 refuses them once haul reseal has upgraded every object")
      ->capture_default_str();
  cmd->add_flag("!--metrics-need-token", config->metrics_open_on_loopback,
                "Require a token for /metrics from loopback too (default: loopback may scrape without one)");

  cmd->callback([=] {
    // Plain HTTP runs unless TLS is asked for and --listen is not given:
    // serving TLS only must not need a flag to switch plain off.
    config->listen_plain = listen_flag->count() > 0 || tls_listen->empty();
    // One window flag: a stream alone may use the whole connection window.
    config->h2.connection_window = config->h2.stream_window;
    if (config->listen_plain) {
      auto plain = gateway::parse_host_port(*listen, "--listen");
      config->listen_host = plain.host;
      config->listen_port = plain.port;
    }
    if (!tls_listen->empty()) {
      auto secure = gateway::parse_host_port(*tls_listen, "--tls-listen");
      config->tls.enabled = true;
      config->tls.host = secure.host;
      config->tls.port = secure.port;
    }
    for (const auto& s : *stores) config->stores.push_back(gateway::parse_store_flag(s));
    for (const auto& s : *store_ids) gateway::apply_store_id_flag(config->stores, s);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    if (stream_threads_flag->count() > 0)
      spdlog::warn("--stream-threads is ignored: downloads no longer hold a thread");
    gateway::run_gateway(*config);
  });
}

}  // namespace haul::app
