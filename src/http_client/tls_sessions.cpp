#include "http_client/tls_sessions.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/hex.hpp"

namespace haul::http_client {

namespace {
constexpr int kFormatVersion = 1;

bool fileable(const StoredSession& s, int64_t now_unix) {
  return !s.der.empty() && s.der.size() <= kStoredSessionMaxBytes && s.expires_unix > now_unix;
}
}  // namespace

std::string encode_sessions(const StoredSessions& sessions) {
  nlohmann::json entries = nlohmann::json::object();
  for (const auto& [key, s] : sessions) {
    auto bytes = std::span(reinterpret_cast<const uint8_t*>(s.der.data()), s.der.size());
    entries[key] = {{"der", to_hex(bytes)}, {"expires", s.expires_unix}};
  }
  return nlohmann::json{{"version", kFormatVersion}, {"sessions", entries}}.dump(1) + "\n";
}

StoredSessions decode_sessions(std::string_view text, int64_t now_unix) {
  StoredSessions sessions;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return sessions;
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || version->get<int64_t>() != kFormatVersion) return sessions;
  auto entries = j.find("sessions");
  if (entries == j.end() || !entries->is_object()) return sessions;
  for (const auto& [key, entry] : entries->items()) {
    if (!entry.is_object()) continue;
    auto der = entry.find("der");
    auto expires = entry.find("expires");
    if (der == entry.end() || expires == entry.end() || !der->is_string() || !expires->is_number_integer()) continue;
    auto bytes = from_hex(der->get<std::string>());
    if (!bytes) continue;
    put_session(sessions, key, StoredSession{std::string(bytes->begin(), bytes->end()), expires->get<int64_t>()},
                now_unix);
  }
  return sessions;
}

void put_session(StoredSessions& sessions, const std::string& key, StoredSession session, int64_t now_unix) {
  std::erase_if(sessions, [now_unix](const auto& entry) { return entry.second.expires_unix <= now_unix; });
  if (!fileable(session, now_unix)) return;
  sessions[key] = std::move(session);
  while (sessions.size() > kStoredSessionsKept) {
    auto first = std::min_element(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) {
      return a.second.expires_unix < b.second.expires_unix;
    });
    sessions.erase(first);
  }
}

}  // namespace haul::http_client
