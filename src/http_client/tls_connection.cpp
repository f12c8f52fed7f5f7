#include "http_client/tls_connection.hpp"

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace haul::http_client {

namespace {

struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};

std::string one_line(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

std::optional<int64_t> unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

std::optional<TlsConnection> read_tls_connection(Curl_easy* easy) {
  curl_tlssessioninfo* info = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == nullptr ||
      info->backend != CURLSSLBACKEND_OPENSSL || info->internals == nullptr) {
    return std::nullopt;
  }
  auto* ssl = static_cast<SSL*>(info->internals);
  TlsConnection c;
  c.protocol = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) c.cipher = SSL_CIPHER_get_name(cipher);
  const unsigned char* alpn = nullptr;
  unsigned alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  if (alpn != nullptr) c.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  c.resumed = SSL_session_reused(ssl) == 1;
  // A resumed session still carries the certificate of its full handshake.
  if (std::unique_ptr<X509, X509Free> cert(SSL_get1_peer_certificate(ssl)); cert) {
    c.subject = one_line(X509_get_subject_name(cert.get()));
    c.not_after_unix = unix_time(X509_get0_notAfter(cert.get()));
  }
  return c;
}

}  // namespace haul::http_client
