#pragma once
// Test helpers: a CA and server files in a temporary directory, client
// contexts, and a TLS handshake between two SSL objects through a memory
// BIO pair (no sockets).

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tls/cert_issue.hpp"
#include "tls/server_context.hpp"

namespace haul::tls::testing {

inline std::string temp_dir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() / ("haul-tls-" + tag + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp");
  return pattern;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A CA and a server certificate for localhost / 127.0.0.1, written to dir.
struct Files {
  std::string dir;
  PemPair ca, server;
  ServerFiles server_files() const { return {dir + "/server.pem", dir + "/server-key.pem"}; }
};

inline Files make_files(const std::string& tag, int64_t now = std::time(nullptr), int days = 30) {
  Files f{temp_dir(tag), make_ca("test CA", 365, now), {}};
  f.server = issue_server_certificate(f.ca, {{"localhost"}, {"127.0.0.1"}}, days, now);
  write_text(f.dir + "/server.pem", f.server.cert_pem);
  write_text(f.dir + "/server-key.pem", f.server.key_pem);
  return f;
}

struct ClientOptions {
  int min_version = 0, max_version = 0;  // 0: library defaults
  std::string ciphers12;                 // TLS 1.2 cipher list; empty: default
  std::vector<uint8_t> alpn;             // wire form; empty: no ALPN
  std::string ca_pem;                    // trust anchor; empty: no verification
  std::string host = "localhost";
  SSL_SESSION* session = nullptr;  // to resume
};

struct Outcome {
  bool ok = false;
  unsigned long server_error = 0;  // first OpenSSL error the server reported
  long verify_result = X509_V_OK;  // the client's certificate verification
  bool resumed = false;
  std::string protocol, cipher, alpn;
  SSL_SESSION* session = nullptr;  // the client's session after the tickets (caller frees)
};

// Runs one handshake between a fresh client and a server SSL on `server_ctx`.
inline Outcome handshake(SSL_CTX* server_ctx, const ClientOptions& o) {
  ERR_clear_error();
  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(cctx, 0);  // let the client offer what the server must refuse
  if (o.min_version) SSL_CTX_set_min_proto_version(cctx, o.min_version);
  if (o.max_version) SSL_CTX_set_max_proto_version(cctx, o.max_version);
  if (!o.ciphers12.empty()) SSL_CTX_set_cipher_list(cctx, o.ciphers12.c_str());
  if (!o.ca_pem.empty()) {
    BIO* mem = BIO_new_mem_buf(o.ca_pem.data(), static_cast<int>(o.ca_pem.size()));
    X509* ca = PEM_read_bio_X509(mem, nullptr, nullptr, nullptr);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), ca);
    X509_free(ca);
    BIO_free(mem);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, nullptr);
  }
  SSL* client = SSL_new(cctx);
  SSL* server = SSL_new(server_ctx);
  if (!o.ca_pem.empty()) SSL_set1_host(client, o.host.c_str());
  SSL_set_tlsext_host_name(client, o.host.c_str());
  if (!o.alpn.empty()) SSL_set_alpn_protos(client, o.alpn.data(), static_cast<unsigned>(o.alpn.size()));
  if (o.session) SSL_set_session(client, o.session);
  BIO *a = nullptr, *b = nullptr;
  BIO_new_bio_pair(&a, 0, &b, 0);
  SSL_set_bio(client, a, a);
  SSL_set_bio(server, b, b);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);

  Outcome out;
  bool client_done = false, server_done = false, failed = false;
  for (int round = 0; round < 50 && !(client_done && server_done) && !failed; ++round) {
    if (!client_done) {
      int rc = SSL_do_handshake(client);
      if (rc == 1)
        client_done = true;
      else if (SSL_get_error(client, rc) != SSL_ERROR_WANT_READ)
        failed = true;
      ERR_clear_error();
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server);
      if (rc == 1) {
        server_done = true;
      } else if (SSL_get_error(server, rc) != SSL_ERROR_WANT_READ) {
        out.server_error = ERR_peek_error();
        failed = true;
      }
      ERR_clear_error();
    }
  }
  out.verify_result = SSL_get_verify_result(client);
  out.ok = client_done && server_done;
  if (out.ok) {
    // The client takes the tickets the server sent after its Finished.
    char byte;
    SSL_read(client, &byte, 1);
    ERR_clear_error();
    out.resumed = SSL_session_reused(server) == 1;
    out.protocol = SSL_get_version(server);
    out.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(server));
    const unsigned char* proto = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(server, &proto, &len);
    out.alpn.assign(reinterpret_cast<const char*>(proto), len);
    out.session = SSL_get1_session(client);
    // A client freed without close_notify marks its session not resumable
    // (OpenSSL's ssl_clear_bad_session): close as a well-behaved client does.
    SSL_shutdown(client);
    ERR_clear_error();
  }
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(cctx);
  return out;
}

// Feeds raw bytes to a server SSL; the first error it reports (0: none yet).
inline unsigned long server_error_for_bytes(SSL_CTX* server_ctx, const std::string& bytes) {
  ERR_clear_error();
  SSL* server = SSL_new(server_ctx);
  BIO* in = BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()));
  BIO_set_mem_eof_return(in, -1);
  SSL_set_bio(server, in, BIO_new(BIO_s_mem()));
  SSL_set_accept_state(server);
  const int rc = SSL_do_handshake(server);
  unsigned long error = rc == 1 ? 0 : ERR_peek_error();
  ERR_clear_error();
  SSL_free(server);
  return error;
}

}  // namespace haul::tls::testing
