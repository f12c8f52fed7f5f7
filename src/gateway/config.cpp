#include "gateway/config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "crypto/stream_format.hpp"

namespace haul::gateway {

std::string read_config_file(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::config, "cannot read " + what + " " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

HostPort parse_host_port(const std::string& text, const std::string& flag) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw Error(ErrorKind::config, flag + " wants HOST:PORT, not '" + text + "'");
  HostPort out;
  out.host = text.substr(0, colon);
  if (out.host.starts_with('[') && out.host.ends_with(']')) out.host = out.host.substr(1, out.host.size() - 2);
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) || std::stoi(port) > 65535) {
    throw Error(ErrorKind::config, flag + ": bad port in '" + text + "'");
  }
  out.port = static_cast<uint16_t>(std::stoi(port));
  return out;
}

NamedStore parse_store_flag(const std::string& text) {
  size_t eq = text.find('=');
  size_t colon = text.find(':');
  // "us=s3://b?endpoint=..." is named; "s3://b?endpoint=x" is not (its first
  // '=' comes after the scheme's ':').
  if (eq != std::string::npos && (colon == std::string::npos || eq < colon)) {
    std::string name = text.substr(0, eq);
    if (name.empty()) throw Error(ErrorKind::config, "--store " + text + ": empty store name");
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
        throw Error(ErrorKind::config, "--store " + text + ": store names use letters, digits, '-' and '_'");
      }
    }
    return {name, text.substr(eq + 1), name};
  }
  return {"default", text, "default"};
}

void apply_store_id_flag(std::vector<NamedStore>& stores, const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) throw Error(ErrorKind::config, "--store-id " + text + ": expected NAME=ID");
  std::string name = text.substr(0, eq);
  for (auto& s : stores) {
    if (s.name == name) {
      s.id = text.substr(eq + 1);
      validate_store_id(s.id);
      return;
    }
  }
  throw Error(ErrorKind::config, "--store-id " + text + ": no store is named '" + name + "'");
}

void validate_store_id(const std::string& id) {
  bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c <= '~'; });
  if (id.empty() || id.size() > crypto::kMaxStoreIdSize || !printable) {
    throw Error(ErrorKind::config, "store id '" + id + "': use 1.." + std::to_string(crypto::kMaxStoreIdSize) +
                                       " printable ASCII characters without spaces");
  }
}

void validate(const GatewayConfig& c) {
  if (c.stores.empty()) throw Error(ErrorKind::config, "no store: give --store fs:DIR or --store s3://...");
  std::set<std::string> names;
  for (const auto& s : c.stores) {
    if (!names.insert(s.name).second) throw Error(ErrorKind::config, "store name '" + s.name + "' given twice");
    validate_store_id(s.id);
  }
  if (c.min_format < 1 || c.min_format > 2) throw Error(ErrorKind::config, "--min-format is 1 or 2");
  if (c.master_key_file.empty())
    throw Error(ErrorKind::config, "--master-key-file is required (haul keygen makes one)");
  if (c.token_file.empty()) throw Error(ErrorKind::config, "--token-file is required (one token a line)");
  validate_server(c);
}

void validate_server(const GatewayConfig& c) {
  if (c.idle_timeout.count() <= 0 || c.header_timeout.count() <= 0 || c.body_timeout.count() <= 0 ||
      c.first_byte_timeout.count() <= 0) {
    throw Error(ErrorKind::config, "timeouts must be positive");
  }
  if (c.max_connections < 1) throw Error(ErrorKind::config, "--max-connections must be at least 1");
  if (c.header_limit < 1024) throw Error(ErrorKind::config, "header limit below 1 KiB");
  // RFC 9113 6.5.2: windows up to 2^31-1; below 64 KiB HTTP/2 would crawl.
  if (c.h2.stream_window < 65535 || c.h2.stream_window > 0x7fffffffu) {
    throw Error(ErrorKind::config, "--h2-window must be 65535 to 2147483647 bytes");
  }
  if (c.h2.max_concurrent_streams < 1 || c.h2.max_concurrent_streams > 65536) {
    throw Error(ErrorKind::config, "--h2-max-streams must be 1 to 65536");
  }
  if (c.blocking_threads < 2) throw Error(ErrorKind::config, "need at least 2 blocking threads");
  if (c.send_rate.window.count() <= 0 || c.send_rate.window > std::chrono::hours(24)) {
    throw Error(ErrorKind::config, "--send-rate-window must be 1 s to 1 day");
  }
  if (c.send_rate.min_bytes_per_second > (uint64_t{1} << 40))
    throw Error(ErrorKind::config, "--min-send-rate too large");
  if (c.max_requests_per_token < 1) throw Error(ErrorKind::config, "--max-requests-per-token must be at least 1");
  if (c.tls.enabled && (c.tls.cert_file.empty() || c.tls.key_file.empty())) {
    throw Error(ErrorKind::config, "--tls-listen needs --tls-cert FILE and --tls-key FILE (haul tls-init makes both)");
  }
  if (!c.tls.enabled && (!c.tls.cert_file.empty() || !c.tls.key_file.empty())) {
    throw Error(ErrorKind::config, "--tls-cert and --tls-key need --tls-listen HOST:PORT");
  }
  if (!c.listen_plain && !c.tls.enabled && c.unix_listen.empty())
    throw Error(ErrorKind::config, "no listener: give --listen or --tls-listen");
  if (c.listen_plain && c.tls.enabled && c.listen_port != 0 && c.listen_port == c.tls.port &&
      c.listen_host == c.tls.host) {
    throw Error(ErrorKind::config, "--listen and --tls-listen name the same address");
  }
}

}  // namespace haul::gateway
