#include "tls/server_context.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstring>
#include <ctime>

#include "core/error.hpp"
#include "tls/alpn.hpp"

namespace haul::tls {

namespace {

constexpr std::array<std::string_view, 2> kProtocols = {"TLSv1.3", "TLSv1.2"};
// TLS 1.3 suites (all AEAD) and the TLS 1.2 ones we allow: ECDHE for
// forward secrecy, AEAD only (no CBC: Lucky 13 and friends).
constexpr const char* kSuites13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr std::array<std::string_view, 9> kCipherNames = {
    "TLS_AES_128_GCM_SHA256",        "TLS_AES_256_GCM_SHA384",        "TLS_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",   "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",   "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"};
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr unsigned char kSessionContext[] = "haul";

// What the callbacks need, owned by the SSL_CTX (freed with it through the
// ex_data free callback). Not app_data: Asio's context owns that slot.
struct ContextState {
  std::shared_ptr<TicketKeys> keys;
  std::vector<std::string> alpn;
};

void free_state(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ContextState*>(ptr);
}

int state_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_state);
  return index;
}

ContextState* state_of(SSL* ssl) {
  return static_cast<ContextState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), state_index()));
}

bool set_hmac_key(EVP_MAC_CTX* hctx, std::span<uint8_t> key) {
  std::array<OSSL_PARAM, 3> params = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.data(), key.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(hctx, params.data()) == 1;
}

// OpenSSL's ticket key callback: enc=1 seals a new ticket (name, IV, cipher
// and MAC keys), enc=0 opens one: 1 with its key current, 2 with an older
// key (OpenSSL then issues a fresh ticket), 0 unknown (full handshake).
// TLS 1.3 always gets 2: OpenSSL clients (libcurl among them) use a TLS 1.3
// ticket once (RFC 8446 C.4), and with 1 OpenSSL sends no new ticket after
// a resumption, so every other new connection of a client was a full one.
// Never throws into C: a failure is -1 (handshake error).
int ticket_key_callback(SSL* ssl, unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cctx,
                        EVP_MAC_CTX* hctx, int enc) {
  ContextState* state = state_of(ssl);
  if (!state || !state->keys) return -1;
  try {
    if (enc) {
      TicketKey key = state->keys->sealing_key();
      std::memcpy(key_name, key.name.data(), key.name.size());
      const bool ok = RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) == 1 &&
                      EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv) == 1 &&
                      set_hmac_key(hctx, key.hmac_key);
      OPENSSL_cleanse(&key, sizeof key);
      return ok ? 1 : -1;
    }
    auto found = state->keys->opening_key(std::span<const uint8_t>(key_name, 16));
    if (!found) return 0;
    const bool ok = set_hmac_key(hctx, found->key.hmac_key) &&
                    EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, found->key.aes_key.data(), iv) == 1;
    const bool current = found->current;
    OPENSSL_cleanse(&found->key, sizeof found->key);
    if (!ok) return -1;
    return current && SSL_version(ssl) < TLS1_3_VERSION ? 1 : 2;
  } catch (...) {
    return -1;
  }
}

int alpn_callback(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void*) {
  ContextState* state = state_of(ssl);
  if (!state) return SSL_TLSEXT_ERR_ALERT_FATAL;
  auto chosen = select_alpn(std::span<const uint8_t>(in, inlen), state->alpn);
  if (!chosen) return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
  *out = reinterpret_cast<const unsigned char*>(chosen->data());
  *outlen = static_cast<unsigned char>(chosen->size());
  return SSL_TLSEXT_ERR_OK;
}

// An encrypted key would make OpenSSL prompt on the terminal (and block a
// reload): refuse instead.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> open_file(const std::string& path, const char* what) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    throw Error(ErrorKind::config, std::string("cannot read ") + what + " " + path + ": " + std::strerror(errno));
  }
  return bio;
}

void load_chain(SSL_CTX* ctx, const std::string& path) {
  auto bio = open_file(path, "TLS certificate file");
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509_AUX(bio.get(), nullptr, no_passphrase, nullptr));
  if (!leaf) {
    throw Error(ErrorKind::config, "TLS certificate file " + path + " holds no PEM certificate (" +
                                       take_openssl_error("unreadable") + ")");
  }
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    throw Error(ErrorKind::config, "TLS certificate " + path + " refused: " + take_openssl_error("unusable"));
  }
  // The rest of the file: intermediates, sent after the leaf.
  SSL_CTX_clear_chain_certs(ctx);
  for (;;) {
    X509* extra = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr);
    if (!extra) break;
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      throw Error(ErrorKind::config, "TLS certificate chain " + path + ": " + take_openssl_error("bad chain"));
    }
  }
  // Reading stops with "no start line" at the end of the file: expected.
  const unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
  } else if (last != 0) {
    throw Error(ErrorKind::config, "TLS certificate chain " + path + ": " + take_openssl_error("bad chain"));
  }
}

void load_key(SSL_CTX* ctx, const std::string& path) {
  auto bio = open_file(path, "TLS key file");
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    throw Error(ErrorKind::config, "TLS key file " + path + " holds no unencrypted PEM private key (" +
                                       take_openssl_error("unreadable") + ")");
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    throw Error(ErrorKind::config,
                "TLS key " + path + " does not match the certificate (" + take_openssl_error("mismatch") + ")");
  }
}

void require(int ok, const char* what) {
  if (ok != 1)
    throw Error(ErrorKind::internal, std::string("TLS policy: ") + what + ": " + take_openssl_error("failed"));
}

int64_t unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

void SslCtxFree::operator()(SSL_CTX* ctx) const noexcept {
  SSL_CTX_free(ctx);
}

std::string take_openssl_error(std::string_view fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : std::string(fallback);
}

CertificateInfo certificate_info(const X509* cert) {
  CertificateInfo info;
  if (!cert) return info;
  std::unique_ptr<BIO, BioFree> mem(BIO_new(BIO_s_mem()));
  if (mem && X509_NAME_print_ex(mem.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(mem.get(), &data);
    if (n > 0) info.subject.assign(data, static_cast<size_t>(n));
  }
  info.not_before = unix_time(X509_get0_notBefore(cert));
  info.not_after = unix_time(X509_get0_notAfter(cert));
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* s = name->d.dNSName;
      info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_STRING* s = name->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      const int family = ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6;
      if (ASN1_STRING_length(s) == 4 || ASN1_STRING_length(s) == 16) {
        if (inet_ntop(family, ASN1_STRING_get0_data(s), text, sizeof text)) info.names.emplace_back(text);
      }
    }
  }
  GENERAL_NAMES_free(names);
  return info;
}

ServerContext make_server_context(const ServerFiles& files, std::shared_ptr<TicketKeys> keys,
                                  std::vector<std::string> alpn) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw Error(ErrorKind::internal, "TLS: " + take_openssl_error("cannot create a context"));
  SSL_CTX* c = ctx.get();

  require(SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION), "minimum version");
  SSL_CTX_set_options(
      c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
  SSL_CTX_clear_options(c, SSL_OP_NO_TICKET);
  require(SSL_CTX_set_ciphersuites(c, kSuites13), "TLS 1.3 suites");
  require(SSL_CTX_set_cipher_list(c, kCiphers12), "TLS 1.2 ciphers");
  require(SSL_CTX_set1_groups_list(c, kGroups), "groups");
  require(SSL_CTX_set_max_early_data(c, 0), "early data");
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  // Tickets carry the whole session: nothing cached here, so nothing to
  // share between contexts or bound in size.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  require(SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1), "session context");
  SSL_CTX_set_default_passwd_cb(c, no_passphrase);

  auto* state = new ContextState{std::move(keys), std::move(alpn)};
  if (SSL_CTX_set_ex_data(c, state_index(), state) != 1) {
    delete state;
    throw Error(ErrorKind::internal, "TLS: cannot attach the context state");
  }
  if (state->keys) {
    SSL_CTX_set_timeout(c, static_cast<long>(state->keys->policy().ticket_lifetime().count()));
    require(static_cast<int>(SSL_CTX_set_tlsext_ticket_key_evp_cb(c, ticket_key_callback)), "ticket callback");
  }
  SSL_CTX_set_alpn_select_cb(c, alpn_callback, nullptr);

  load_chain(c, files.cert_file);
  load_key(c, files.key_file);
  ServerContext out{std::move(ctx), {}};
  out.certificate = certificate_info(SSL_CTX_get0_certificate(out.ctx.get()));
  return out;
}

std::span<const std::string_view> policy_protocols() noexcept {
  return kProtocols;
}
std::span<const std::string_view> policy_ciphers() noexcept {
  return kCipherNames;
}

}  // namespace haul::tls
