#pragma once
// The application protocols a connection can speak, and the ALPN names the
// TLS listener offers for them (the plain listener tells HTTP/2 by its
// preface, session_plain.cpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haul::gateway {

enum class AppProtocol { http1, http2 };

// Most preferred first.
inline const std::vector<std::string>& alpn_offer() {
  static const std::vector<std::string> offer = {"h2", "http/1.1"};
  return offer;
}

// What a negotiated ALPN name selects; "" (the client sent no ALPN) is
// HTTP/1.1. Nothing for a name we never offer.
inline std::optional<AppProtocol> app_protocol_for_alpn(std::string_view name) {
  if (name.empty() || name == "http/1.1") return AppProtocol::http1;
  if (name == "h2") return AppProtocol::http2;
  return std::nullopt;
}

}  // namespace haul::gateway
