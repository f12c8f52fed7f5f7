#pragma once
// The application protocols a connection can speak, and the ALPN names the
// TLS listener offers for them. HTTP/2 lands here: its name first in
// alpn_offer(), its case in app_protocol_for_alpn(), and its session in
// session_tls.cpp's dispatch.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haul::gateway {

enum class AppProtocol { http1 };

// Most preferred first.
inline const std::vector<std::string>& alpn_offer() {
  static const std::vector<std::string> offer = {"http/1.1"};
  return offer;
}

// What a negotiated ALPN name selects; "" (the client sent no ALPN) is
// HTTP/1.1. Nothing for a name we never offer.
inline std::optional<AppProtocol> app_protocol_for_alpn(std::string_view name) {
  if (name.empty() || name == "http/1.1") return AppProtocol::http1;
  return std::nullopt;
}

}  // namespace haul::gateway
