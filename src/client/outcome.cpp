#include "client/outcome.hpp"

#include <nlohmann/json.hpp>

namespace haul::client {

void record_outcome(Request& r, const http_client::Outcome& outcome, const std::string& local_error,
                    const std::string& gateway) {
  const std::string what = r.method + " " + r.path;
  r.failure = Failure::none;
  r.error.clear();
  if (!local_error.empty()) {
    r.failure = Failure::local;
    r.error = local_error;
    return;
  }
  switch (outcome.failure) {
    case Failure::none:
    case Failure::http: break;
    case Failure::connect:
      r.failure = Failure::connect;
      r.error = "cannot reach gateway " + gateway + ": " + outcome.detail;
      return;
    case Failure::timeout:
      r.failure = Failure::timeout;
      r.error = "gateway " + gateway + " stopped answering (" + what + "): " + outcome.detail;
      return;
    case Failure::tls:
      r.failure = Failure::tls;
      r.error = "TLS with gateway " + gateway + " failed: " + outcome.detail;
      if (auto hint = http_client::tls_hint(outcome.code); !hint.empty()) r.error += " (" + std::string(hint) + ")";
      return;
    case Failure::transport:
    case Failure::local:
      r.failure = outcome.failure;
      r.error = "connection to gateway " + gateway + " failed during " + what + ": " + outcome.detail;
      return;
  }
  if (r.status < 200 || r.status >= 300) {
    r.failure = Failure::http;
    r.error = http_error_text(r);
  } else if (r.expect_status != 0 && r.status != r.expect_status) {
    r.failure = Failure::http;
    r.error = "unexpected status " + std::to_string(r.status) + " (wanted " + std::to_string(r.expect_status) + ")";
  }
}

std::string http_error_text(const Request& r) {
  std::string message, kind;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_string()) kind = j["error"].get<std::string>();
    if (j.contains("message") && j["message"].is_string()) message = j["message"].get<std::string>();
  }
  if (message.empty()) message = r.header("x-haul-error");
  if (message.empty() && !j.is_object() && !r.body.empty() && r.body.size() < 200) {
    message = r.body;
    for (auto& c : message)
      if (c == '\n' || c == '\r') c = ' ';
  }
  std::string status = std::to_string(r.status);
  if (!kind.empty()) status += " " + kind;
  return message.empty() ? "gateway answered " + status : message + " (" + status + ")";
}

ErrorKind error_kind_of(const Request& r) {
  return http_client::error_kind(r.failure, r.status);
}

Error request_error(const std::string& op, const std::string& key, const Request& r) {
  std::string prefix = key.empty() ? op : op + " " + key;
  return Error(error_kind_of(r), prefix + ": " + r.error);
}

}  // namespace haul::client
