#include "http_client/tls.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace haul::http_client {

std::optional<std::string> curl_pin(std::string_view pin) {
  constexpr std::string_view prefix = "sha256//";
  if (pin.starts_with(prefix)) pin.remove_prefix(prefix.size());
  if (pin.size() != 44 || pin[43] != '=') return std::nullopt;
  const bool base64 = std::all_of(pin.begin(), pin.end() - 1, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
  if (!base64) return std::nullopt;
  return std::string(prefix) + std::string(pin);
}

std::string url_host_port(std::string_view url) {
  std::string_view scheme = "http";
  if (auto end = url.find("://"); end != std::string_view::npos) {
    scheme = url.substr(0, end);
    url.remove_prefix(end + 3);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (url.empty()) return {};
  // The port's colon: after the bracket of an IPv6 host, else the only one.
  const size_t host_end = url.front() == '[' ? url.find(']') : 0;
  if (host_end == std::string_view::npos) return {};
  const size_t colon = url.find(':', host_end);
  if (colon != std::string_view::npos) return colon + 1 < url.size() ? std::string(url) : std::string();
  std::string lower(scheme);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::string(url) + (lower == "https" ? ":443" : ":80");
}

std::string session_key(std::string_view host_port, const TlsOptions& tls) {
  std::string key(host_port);
  key += " ca=" + tls.ca_file;
  key += " pin=" + curl_pin(tls.pin_sha256).value_or("");
  key += tls.insecure ? " insecure" : " verified";
  return key;
}

void validate_tls(const http_client::TlsOptions& tls) {
  if (!tls.pin_sha256.empty() && !http_client::curl_pin(tls.pin_sha256))
    throw Error(ErrorKind::config,
                "--pin-sha256 must be the base64 SHA-256 of the gateway's public key (44 characters ending in '=')");
  if (tls.insecure && (!tls.ca_file.empty() || !tls.pin_sha256.empty()))
    throw Error(ErrorKind::config, "--insecure turns verification off: it cannot go with --cacert or --pin-sha256");
  if (!tls.ca_file.empty() && ::access(tls.ca_file.c_str(), R_OK) != 0)
    throw Error(ErrorKind::config, "--cacert: cannot read " + tls.ca_file);
}

}  // namespace haul::http_client
