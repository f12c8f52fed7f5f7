#include "edge/edge_config.hpp"

#include <charconv>

#include "core/error.hpp"

namespace haul::edge {

GatewayAddress parse_gateway_url(std::string_view url) {
  const auto bad = [&](const std::string& why) {
    return Error(ErrorKind::config,
                 "--gateway " + std::string(url) + ": " + why + " (expected http://HOST:PORT or https://HOST:PORT)");
  };
  GatewayAddress address;
  std::string_view rest;
  if (url.starts_with("https://")) {
    address.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    throw bad("unknown scheme");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) throw bad("no path, query or user part allowed");
  address.authority = std::string(rest);
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) throw bad("unclosed [");
    address.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw bad("junk after ]");
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = rest.find(':');
    address.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (address.host.empty()) throw bad("no host");
  address.port = address.tls ? 443 : 80;
  if (!port_text.empty() || rest.ends_with(':')) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
      throw bad("bad port");
    address.port = static_cast<uint16_t>(port);
  }
  return address;
}

UpstreamHttp2 parse_upstream_http2(std::string_view value) {
  if (value == "auto") return UpstreamHttp2::auto_alpn;
  if (value == "off") return UpstreamHttp2::off;
  if (value == "h2c") return UpstreamHttp2::h2c;
  throw Error(ErrorKind::config, "--upstream-http2 " + std::string(value) + ": expected auto, off or h2c");
}

void apply_listen_flags(const std::vector<std::string>& values, gateway::GatewayConfig& local) {
  local.listen_plain = false;
  local.unix_listen.clear();
  for (const auto& value : values) {
    if (value.starts_with("unix:")) {
      if (!local.unix_listen.empty()) throw Error(ErrorKind::config, "--listen: one unix:PATH at most");
      local.unix_listen = value.substr(5);
      if (local.unix_listen.empty()) throw Error(ErrorKind::config, "--listen unix: needs a path");
      continue;
    }
    if (local.listen_plain) throw Error(ErrorKind::config, "--listen: one HOST:PORT at most");
    const auto address = gateway::parse_host_port(value, "--listen");
    local.listen_plain = true;
    local.listen_host = address.host;
    local.listen_port = address.port;
  }
  if (!local.listen_plain && local.unix_listen.empty()) throw Error(ErrorKind::config, "--listen: give an address");
}

void validate(const EdgeConfig& c) {
  if (c.gateway_url.empty()) throw Error(ErrorKind::config, "--gateway URL is required");
  parse_gateway_url(c.gateway_url);
  if (c.gateway_token_file.empty())
    throw Error(ErrorKind::config, "--token-file is required (the gateway's token, which never leaves the edge)");
  if (c.local.listen_plain && c.local.token_file.empty())
    throw Error(ErrorKind::config,
                "--client-token-file is required with a HOST:PORT --listen (the tokens local clients present); "
                "a unix:PATH listener needs none");
  if (c.warm_connections > 1024) throw Error(ErrorKind::config, "--connections must be 0 to 1024");
  if (c.warm_window_bytes > (uint64_t{64} << 20)) throw Error(ErrorKind::config, "--warm-window must be 0 to 64M");
  if (c.connect_timeout.count() <= 0) throw Error(ErrorKind::config, "--connect-timeout must be positive");
  if (c.upstream_http2 == UpstreamHttp2::h2c && !c.gateway_url.starts_with("http://"))
    throw Error(ErrorKind::config, "--upstream-http2 h2c needs an http:// gateway (https:// chooses by ALPN: auto)");
  if (!c.ca_file.empty() && !c.gateway_url.starts_with("https://"))
    throw Error(ErrorKind::config, "--cacert needs an https:// gateway");
}

}  // namespace haul::edge
