#include "client/tls_session_file.hpp"

#include <ctime>

#include "client/cache_file.hpp"

namespace haul::client {

namespace {
int64_t now_unix() {
  return static_cast<int64_t>(std::time(nullptr));
}
}  // namespace

std::string tls_session_file() {
  return cache_file("tls_sessions.json");
}

http_client::StoredSessions load_tls_sessions(const std::string& file) {
  if (file.empty()) return {};
  auto text = read_cache_file(file);
  return text ? http_client::decode_sessions(*text, now_unix()) : http_client::StoredSessions{};
}

void save_tls_sessions(const std::string& file, const http_client::StoredSessions& sessions) {
  if (file.empty()) return;
  const int64_t now = now_unix();
  http_client::StoredSessions merged = load_tls_sessions(file);
  for (const auto& [key, session] : sessions) http_client::put_session(merged, key, session, now);
  write_cache_file(file, http_client::encode_sessions(merged));
}

}  // namespace haul::client
