#include "client/config.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "http_client/base_target.hpp"
#include "http_client/handles.hpp"

namespace haul::client {

void validate(const ClientConfig& c) {
  if (c.gateway.empty()) throw Error(ErrorKind::config, "no gateway: pass --gateway URL or set HAUL_GATEWAY");
  if (c.gateway.rfind("http://", 0) != 0 && c.gateway.rfind("https://", 0) != 0)
    throw Error(ErrorKind::config, "gateway URL must start with http:// or https://: " + c.gateway);
  if (c.connections < 1 || c.connections > 256)
    throw Error(ErrorKind::config, "--connections must be between 1 and 256");
  if (c.stream_connections < 1 || c.stream_connections > 256)
    throw Error(ErrorKind::config, "--stream-connections must be between 1 and 256");
  if (c.cold_stripes == 1 || c.cold_stripes > 128)
    throw Error(ErrorKind::config, "--cold-stripes must be 0 (off) or between 2 and 128");
  if (c.cold_flight != 0 && c.cold_flight < 2 * 12 * 1024)
    throw Error(ErrorKind::config, "--cold-flight must be 0 (off) or at least 24K (two stripes of 12 KiB)");
  if (c.inflight > 4096) throw Error(ErrorKind::config, "--inflight must be between 1 and 4096 (0: by protocol)");
  if (c.http != "auto" && c.http != "2" && c.http != "1.1")
    throw Error(ErrorKind::config, "--http must be auto, 1.1 or 2");
  if (c.http == "2" && !c.gateway.starts_with("https://") && !http_client::h2c_reuse_works()) {
    throw Error(ErrorKind::config,
                "--http 2 over http:// needs libcurl 8.0 or newer (this libcurl fails reused h2c connections, "
                "curl#10634): use an https:// gateway or --http 1.1");
  }
  if (c.part_size == 0 || c.part_size % segment_size != 0)
    throw Error(ErrorKind::config, "--part-size must be a positive multiple of 64 KiB");
  if (c.part_size > (4ull << 30)) throw Error(ErrorKind::config, "--part-size must be at most 4 GiB");
  if (c.retries < 1 || c.retries > 20) throw Error(ErrorKind::config, "--retries must be between 1 and 20");
  for (char ch : c.congestion)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'))
      throw Error(ErrorKind::config, "--congestion must be auto or an algorithm name like bbr or cubic");
  if (c.congestion.size() > 15) throw Error(ErrorKind::config, "--congestion name too long");
  http_client::validate_tls(c.tls);
}

bool uses_http2(const ClientConfig& config) {
  return config.http == "2" || (config.http == "auto" && config.gateway.starts_with("https://"));
}

unsigned effective_inflight(const ClientConfig& config) {
  if (uses_http2(config)) {
    const unsigned most = kHttp2StreamsPerConnection * std::max(config.stream_connections, 1u);
    return std::min(config.inflight > 0 ? config.inflight : kHttp2DefaultInflight, most);
  }
  return config.inflight > 0 ? config.inflight : 16;
}

std::string normalize_gateway(std::string url) {
  if (!url.empty() && url.find("://") == std::string::npos) url = "http://" + url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

void use_gateway_target(ClientConfig& config, const std::string& target) {
  auto base = http_client::split_base_target(target);
  config.gateway = normalize_gateway(std::move(base.url));
  config.unix_socket = std::move(base.unix_socket);
}

}  // namespace haul::client
