#pragma once
// The client's TLS session cache file (tls_sessions.json in the cache
// directory, cache_file.hpp), so that a fresh process resumes the session
// of the last one instead of a full handshake (docs/client.md "TLS").
// Best effort both ways: a missing, unreadable or corrupt file is no
// sessions (http_client/tls_sessions.hpp decodes it entry by entry), a
// failed write is dropped.

#include <string>

#include "http_client/tls_sessions.hpp"

namespace haul::client {

// cache_file("tls_sessions.json"); "" when there is no cache directory.
std::string tls_session_file();

// The file's sessions that have not expired.
http_client::StoredSessions load_tls_sessions(const std::string& file);

// Files `sessions` over what the file holds now (another process may have
// added other gateways' since it was loaded) and writes it back whole, mode
// 0600, through a temp file and a rename.
void save_tls_sessions(const std::string& file, const http_client::StoredSessions& sessions);

}  // namespace haul::client
