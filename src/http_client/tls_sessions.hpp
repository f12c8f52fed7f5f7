#pragma once
// Sans-IO: the resumable TLS sessions a process keeps for the next one (the
// client's session cache file, docs/client.md "TLS"). A session is the
// opaque DER of OpenSSL's i2d_SSL_SESSION with its expiry; this module only
// files, bounds and (de)serializes them: tls_share.hpp captures and offers
// them, the client reads and writes the file.
//
// File format (JSON): {"version":1,"sessions":{KEY:{"der":HEX,"expires":UNIX}}}
// with KEY from session_key() (tls.hpp). Anything unreadable is dropped
// entry by entry; a corrupt file reads as no sessions, never as an error: a
// cache must not break a transfer.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace haul::http_client {

struct StoredSession {
  std::string der;           // i2d_SSL_SESSION bytes
  int64_t expires_unix = 0;  // not offered from then on
};
using StoredSessions = std::map<std::string, StoredSession>;

// Bounds: gateways a user talks to are few; a session with its ticket and
// the server's certificate is 1-3 KiB.
inline constexpr size_t kStoredSessionsKept = 32;
inline constexpr size_t kStoredSessionMaxBytes = 16 * 1024;

std::string encode_sessions(const StoredSessions& sessions);
// The sessions of `text` not expired at now_unix (and within the bounds).
StoredSessions decode_sessions(std::string_view text, int64_t now_unix);
// Files `session` under `key` (replacing the previous one), drops the
// expired ones, and then the ones expiring first beyond kStoredSessionsKept.
// A session over kStoredSessionMaxBytes or already expired is not filed.
void put_session(StoredSessions& sessions, const std::string& key, StoredSession session, int64_t now_unix);

}  // namespace haul::http_client
