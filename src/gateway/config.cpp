#include "gateway/config.hpp"

#include <set>

#include "core/error.hpp"

namespace haul::gateway {

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
    return {name, text.substr(eq + 1)};
  }
  return {"default", text};
}

void validate(const GatewayConfig& c) {
  if (c.stores.empty()) throw Error(ErrorKind::config, "no store: give --store fs:DIR or --store s3://...");
  std::set<std::string> names;
  for (const auto& s : c.stores) {
    if (!names.insert(s.name).second) throw Error(ErrorKind::config, "store name '" + s.name + "' given twice");
  }
  if (c.master_key_file.empty()) throw Error(ErrorKind::config, "--master-key-file is required (haul keygen makes one)");
  if (c.token_file.empty()) throw Error(ErrorKind::config, "--token-file is required (one token a line)");
  if (c.idle_timeout.count() <= 0 || c.header_timeout.count() <= 0 || c.body_timeout.count() <= 0) {
    throw Error(ErrorKind::config, "timeouts must be positive");
  }
  if (c.header_limit < 1024) throw Error(ErrorKind::config, "header limit below 1 KiB");
  if (c.blocking_threads < 2) throw Error(ErrorKind::config, "need at least 2 blocking threads");
  if (c.send_rate.window.count() <= 0 || c.send_rate.window > std::chrono::hours(24)) {
    throw Error(ErrorKind::config, "--send-rate-window must be 1 s to 1 day");
  }
  if (c.send_rate.min_bytes_per_second > (uint64_t{1} << 40)) throw Error(ErrorKind::config, "--min-send-rate too large");
  if (c.max_requests_per_token < 1) throw Error(ErrorKind::config, "--max-requests-per-token must be at least 1");
}

}  // namespace haul::gateway
