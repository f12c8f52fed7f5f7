#include "tls/cert_issue.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <memory>

#include "core/error.hpp"
#include "tls/server_context.hpp"

namespace haul::tls {

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

constexpr int64_t kSkewSeconds = 3600;

[[noreturn]] void fail(const std::string& what) {
  throw Error(ErrorKind::internal, "certificate: " + what + ": " + take_openssl_error("failed"));
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

Pkey new_key() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("P-256 key generation");
  return key;
}

std::string to_pem(const X509* cert) {
  Bio mem(BIO_new(BIO_s_mem()));
  if (!mem || PEM_write_bio_X509(mem.get(), const_cast<X509*>(cert)) != 1) fail("PEM encoding");
  char* data = nullptr;
  const long n = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string to_pem(const EVP_PKEY* key) {
  Bio mem(BIO_new(BIO_s_mem()));
  if (!mem || PEM_write_bio_PrivateKey(mem.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("PEM encoding of a key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Bio read_bio(std::string_view pem) {
  Bio mem(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!mem) fail("memory");
  return mem;
}

Cert parse_cert(std::string_view pem, const char* what) {
  auto mem = read_bio(pem);
  Cert cert(PEM_read_bio_X509(mem.get(), nullptr, nullptr, nullptr));
  if (!cert)
    throw Error(ErrorKind::config, std::string(what) + ": no PEM certificate (" + take_openssl_error("?") + ")");
  return cert;
}

Pkey parse_key(std::string_view pem, const char* what) {
  auto mem = read_bio(pem);
  Pkey key(PEM_read_bio_PrivateKey(mem.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!key) {
    throw Error(ErrorKind::config,
                std::string(what) + ": no unencrypted PEM private key (" + take_openssl_error("?") + ")");
  }
  return key;
}

void add_name_entry(X509_NAME* name, const char* field, std::string_view value) {
  check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0),
        "subject name");
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (!ext) fail("extension " + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok, "adding an extension");
}

// Version 3, a random positive 127-bit serial, validity and subject; the
// issuer name and signature are the caller's.
Cert new_cert(const EVP_PKEY* key, std::string_view common_name, int days, int64_t now) {
  if (days < 1) throw Error(ErrorKind::config, "--days must be at least 1");
  Cert cert(X509_new());
  if (!cert) fail("memory");
  check(X509_set_version(cert.get(), X509_VERSION_3), "version");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("random serial");
  serial[0] &= 0x7f;
  serial[0] |= 0x40;  // positive and never shortened to fewer bytes
  Bignum bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) fail("serial");
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(now - kSkewSeconds)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(now + int64_t{days} * 86400))) {
    fail("validity");
  }
  check(X509_set_pubkey(cert.get(), const_cast<EVP_PKEY*>(key)), "public key");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  add_name_entry(subject, "O", "haul");
  add_name_entry(subject, "CN", common_name.substr(0, 64));
  return cert;
}

bool valid_dns_name(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return name.find("..") == std::string_view::npos;
}

bool valid_ip(const std::string& ip) {
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

}  // namespace

void validate_names(const ServerNames& names) {
  for (const auto& dns : names.dns) {
    if (!valid_dns_name(dns)) {
      throw Error(ErrorKind::config, "--name '" + dns + "': use letters, digits, '-' and '.' (a leading '*.' allowed)");
    }
  }
  for (const auto& ip : names.ips) {
    if (!valid_ip(ip)) throw Error(ErrorKind::config, "--ip '" + ip + "' is not an IPv4 or IPv6 address");
  }
  if (names.dns.empty() && names.ips.empty()) throw Error(ErrorKind::config, "a certificate needs a name or an IP");
}

PemPair make_ca(std::string_view common_name, int days, int64_t now_unix) {
  Pkey key = new_key();
  Cert cert = new_cert(key.get(), common_name, days, now_unix);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())), "issuer");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("signing the CA");
  return {to_pem(cert.get()), to_pem(key.get())};
}

PemPair issue_server_certificate(const PemPair& ca, const ServerNames& names, int days, int64_t now_unix) {
  validate_names(names);
  Cert ca_cert = parse_cert(ca.cert_pem, "CA certificate");
  Pkey ca_key = parse_key(ca.key_pem, "CA key");
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    take_openssl_error("");
    throw Error(ErrorKind::config, "the CA key does not match the CA certificate");
  }
  Pkey key = new_key();
  const std::string& cn = names.dns.empty() ? names.ips.front() : names.dns.front();
  Cert cert = new_cert(key.get(), cn, days, now_unix);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())), "issuer");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
  std::string alt;
  for (const auto& dns : names.dns) alt += (alt.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : names.ips) alt += (alt.empty() ? "IP:" : ",IP:") + ip;
  add_extension(cert.get(), &ctx, NID_subject_alt_name, alt);
  add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) fail("signing the server certificate");
  return {to_pem(cert.get()), to_pem(key.get())};
}

std::string public_key_pin(std::string_view cert_pem) {
  Cert cert = parse_cert(cert_pem, "certificate");
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(X509_get0_pubkey(cert.get()), &der);
  if (n <= 0) fail("public key encoding");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const int ok = EVP_Digest(der, static_cast<size_t>(n), digest, &digest_size, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  check(ok, "SHA-256");
  std::string out(4 * ((digest_size + 2) / 3) + 1, '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(digest_size));
  out.resize(static_cast<size_t>(written));
  return out;
}

}  // namespace haul::tls
