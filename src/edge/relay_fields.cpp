#include "edge/relay_fields.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "gateway/tokens.hpp"

namespace haul::edge {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The fields that never cross: hop-by-hop ones, the hop's framing, and the
// ones a Connection field names for its own hop.
std::set<std::string> hop_fields(const Fields& fields) {
  std::set<std::string> names{"connection",     "keep-alive", "transfer-encoding", "te",
                              "trailer",        "upgrade",    "proxy-connection",  "proxy-authorization",
                              "content-length", "expect",     "http2-settings"};
  for (const auto& [name, value] : fields) {
    if (lower(name) != "connection") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view token = trim(rest.substr(0, comma));
      if (!token.empty()) names.insert(lower(token));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return names;
}

}  // namespace

Fields upstream_request_fields(const Fields& local, std::string_view gateway_authorization,
                               std::string_view authority) {
  const auto skip = hop_fields(local);
  Fields out;
  bool has_host = false;
  for (const auto& [name, value] : local) {
    if (name.starts_with(':')) continue;  // HTTP/2 pseudo-fields: the request line says them
    const std::string key = lower(name);
    if (skip.contains(key)) continue;
    if (key == "authorization" && !gateway_authorization.empty()) continue;
    if (key == "host") has_host = true;
    out.emplace_back(name, value);
  }
  if (!has_host && !authority.empty()) out.emplace(out.begin(), "Host", std::string(authority));
  if (!gateway_authorization.empty()) out.emplace_back("Authorization", std::string(gateway_authorization));
  return out;
}

Fields downstream_response_fields(const Fields& upstream) {
  const auto skip = hop_fields(upstream);
  Fields out;
  for (const auto& [name, value] : upstream) {
    if (!skip.contains(lower(name))) out.emplace_back(name, value);
  }
  return out;
}

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

std::string bearer_from_token_file(std::string_view file_text, std::string_view path) {
  try {
    return "Bearer " + gateway::TokenSet::parse(file_text).tokens().front();
  } catch (const Error& e) {
    throw Error(ErrorKind::config, "gateway token file " + std::string(path) + ": " + e.what());
  }
}

}  // namespace haul::edge
