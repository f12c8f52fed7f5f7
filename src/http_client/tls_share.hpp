#pragma once
// TLS session reuse for the exchanges of one owner (the client's pool):
//  - across its connections: a libcurl share of the SSL session cache, so a
//    second connection to the gateway resumes the first one's session
//    (libcurl keeps its cache per easy handle otherwise);
//  - across processes: sessions captured from OpenSSL as new connections
//    receive them (tickets), filed by session_key() (tls.hpp), and offered
//    to a new connection's first ClientHello when libcurl has none of its
//    own. libcurl 7.88 cannot export or import sessions, so this goes
//    through OpenSSL (CURLOPT_SSL_CTX_FUNCTION: a new-session callback
//    chained before libcurl's, and an info callback at handshake start).
//    The owner loads and saves them (tls_sessions.hpp is the file format).
//
// Contract: must outlive every Exchange attached to it and every connection
// they opened (declare it before the Multi and the exchanges). One thread
// at a time (the share has no lock functions).

#include <cstdint>
#include <string>

#include "http_client/handles.hpp"
#include "http_client/tls_sessions.hpp"

namespace haul::http_client {

class TlsSessions;

// What an exchange hands its new connections' TLS setup: the sessions and
// the key its URL and trust settings file them under (Exchange owns one).
struct TlsAttachment {
  TlsSessions* sessions = nullptr;
  std::string key;
};

class TlsSessions {
 public:
  // `stored`: sessions to offer (from the file; expired ones are skipped).
  // Throws Error(internal) when libcurl cannot make a share.
  explicit TlsSessions(StoredSessions stored = {});
  ~TlsSessions();
  TlsSessions(const TlsSessions&) = delete;
  TlsSessions& operator=(const TlsSessions&) = delete;

  // The loaded sessions with the newly captured ones in their place.
  const StoredSessions& stored() const { return stored_; }
  // Sessions captured since construction (a save is worth it).
  unsigned captured() const { return captured_; }
  // Stored sessions handed to a new connection's handshake.
  unsigned offered() const { return offered_; }

 private:
  friend struct ExchangeCallbacks;
  friend struct TlsCallbacks;
  // Shares the session cache with `easy` and has its new connections
  // capture and offer sessions under `attachment.key`; the attachment must
  // outlive the exchange's run.
  void attach(Curl_easy* easy, TlsAttachment& attachment);
  // CURLOPT_SSL_CTX_FUNCTION's work on a new connection's SSL_CTX.
  void bind(void* ssl_ctx, const std::string& key);
  // OpenSSL's new session of a connection filed under `key`.
  void capture(const std::string& key, void* ssl_session);
  // The stored session of `key` set on a connection (SSL*) about to say hello.
  void offer(const std::string& key, void* ssl);

  ShareHandle share_;
  StoredSessions stored_;
  unsigned captured_ = 0, offered_ = 0;
};

}  // namespace haul::http_client
