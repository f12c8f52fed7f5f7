#include "http_client/tls_share.hpp"

#include <curl/curl.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <ctime>

#include "core/error.hpp"

namespace haul::http_client {

namespace {

using NewSessionCallback = int (*)(SSL*, SSL_SESSION*);

// What a connection's SSL_CTX carries for the callbacks below (its ex_data,
// freed with the context when the connection closes).
struct Binding {
  TlsSessions* owner;
  std::string key;
  NewSessionCallback libcurl_new_session;  // libcurl's own: it files the session in the share
};

void free_binding(void*, void* binding, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<Binding*>(binding);
}

int binding_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_binding);
  return index;
}

Binding* binding_of(const SSL* ssl) {
  return static_cast<Binding*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), binding_index()));
}

int64_t now_unix() {
  return static_cast<int64_t>(std::time(nullptr));
}

// When the server stops accepting the session: its timeout, or the
// lifetime a TLS 1.3 ticket was issued with when shorter.
int64_t expiry_of(const SSL_SESSION* session) {
  const int64_t start = static_cast<int64_t>(SSL_SESSION_get_time(session));
  int64_t end = start + static_cast<int64_t>(SSL_SESSION_get_timeout(session));
  if (unsigned long hint = SSL_SESSION_get_ticket_lifetime_hint(session); hint > 0)
    end = std::min(end, start + static_cast<int64_t>(hint));
  return end;
}

}  // namespace

// OpenSSL's and libcurl's C callbacks: each finds the TlsSessions it serves.
struct TlsCallbacks {
  static CURLcode ssl_ctx(CURL*, void* ssl_ctx, void* user) {
    auto* attachment = static_cast<TlsAttachment*>(user);
    attachment->sessions->bind(ssl_ctx, attachment->key);
    return CURLE_OK;
  }

  // Returns what libcurl's callback returns: 1 when it kept a reference.
  static int new_session(SSL* ssl, SSL_SESSION* session) {
    Binding* b = binding_of(ssl);
    if (!b) return 0;
    b->owner->capture(b->key, session);
    return b->libcurl_new_session ? b->libcurl_new_session(ssl, session) : 0;
  }

  // At the start of the first handshake, before the ClientHello is built:
  // libcurl has set its own (in-process) session by then when it had one.
  static void info(const SSL* ssl, int where, int) {
    if (!(where & SSL_CB_HANDSHAKE_START) || SSL_get_session(ssl) != nullptr) return;
    if (Binding* b = binding_of(ssl)) b->owner->offer(b->key, const_cast<SSL*>(ssl));
  }
};

TlsSessions::TlsSessions(StoredSessions stored) : stored_(std::move(stored)) {
  global_init();
  share_.reset(curl_share_init());
  if (!share_) throw Error(ErrorKind::internal, "curl_share_init failed");
  curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

TlsSessions::~TlsSessions() = default;

void TlsSessions::attach(Curl_easy* easy, TlsAttachment& attachment) {
  attachment.sessions = this;
  curl_easy_setopt(easy, CURLOPT_SHARE, share_.get());
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &TlsCallbacks::ssl_ctx);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, &attachment);
}

void TlsSessions::bind(void* ssl_ctx, const std::string& key) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (auto* b = static_cast<Binding*>(SSL_CTX_get_ex_data(ctx, binding_index()))) {
    b->owner = this;  // bound before (libcurl makes one context per connection; defensive)
    b->key = key;
    return;
  }
  auto* b = new Binding{this, key, SSL_CTX_sess_get_new_cb(ctx)};
  if (!SSL_CTX_set_ex_data(ctx, binding_index(), b)) {
    delete b;
    return;
  }
  // Client-side caching through the callback only (what libcurl sets too).
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(ctx, &TlsCallbacks::new_session);
  SSL_CTX_set_info_callback(ctx, &TlsCallbacks::info);
}

void TlsSessions::capture(const std::string& key, void* ssl_session) {
  auto* session = static_cast<SSL_SESSION*>(ssl_session);
  if (!SSL_SESSION_is_resumable(session)) return;
  const int size = i2d_SSL_SESSION(session, nullptr);
  if (size <= 0 || static_cast<size_t>(size) > kStoredSessionMaxBytes) return;
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_SSL_SESSION(session, &out) != size) return;
  put_session(stored_, key, StoredSession{std::move(der), expiry_of(session)}, now_unix());
  ++captured_;
}

void TlsSessions::offer(const std::string& key, void* ssl) {
  auto it = stored_.find(key);
  if (it == stored_.end() || it->second.expires_unix <= now_unix()) return;
  const auto* in = reinterpret_cast<const unsigned char*>(it->second.der.data());
  SSL_SESSION* session = d2i_SSL_SESSION(nullptr, &in, static_cast<long>(it->second.der.size()));
  if (session == nullptr) {
    stored_.erase(it);  // unreadable: a full handshake, and not offered again
    return;
  }
  if (SSL_SESSION_is_resumable(session) && SSL_set_session(static_cast<SSL*>(ssl), session) == 1) ++offered_;
  SSL_SESSION_free(session);  // SSL_set_session took its own reference
}

}  // namespace haul::http_client
