#include "http_client/tls.hpp"

#include <algorithm>
#include <cctype>

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

}  // namespace haul::http_client
