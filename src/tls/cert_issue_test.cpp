// tls-init's CA: what it issues verifies as a server certificate, names
// are checked, files and modes, an existing CA kept.
#include "tls/cert_issue.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "core/error.hpp"
#include "tls/init_dir.hpp"
#include "tls/test_support.hpp"

using namespace haul;
using namespace haul::tls;
using namespace haul::tls::testing;

namespace {

X509* parse(const std::string& pem) {
  BIO* mem = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(mem, nullptr, nullptr, nullptr);
  BIO_free(mem);
  return cert;
}

// X509_verify_cert of `leaf` against `ca` for a TLS server named `host`.
int verify(const std::string& ca_pem, const std::string& leaf_pem, const std::string& host) {
  X509* ca = parse(ca_pem);
  X509* leaf = parse(leaf_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), host.c_str(), 0);
  const int ok = X509_verify_cert(ctx);
  const int err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  return err;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(CertIssue, ServerCertificateVerifiesForItsNamesOnly) {
  const int64_t now = std::time(nullptr);
  auto ca = make_ca("test CA", 365, now);
  auto server = issue_server_certificate(ca, {{"localhost", "gw.example"}, {"127.0.0.1", "::1"}}, 30, now);
  EXPECT_EQ(verify(ca.cert_pem, server.cert_pem, "localhost"), X509_V_OK);
  EXPECT_EQ(verify(ca.cert_pem, server.cert_pem, "gw.example"), X509_V_OK);
  EXPECT_EQ(verify(ca.cert_pem, server.cert_pem, "other.example"), X509_V_ERR_HOSTNAME_MISMATCH);
  auto other_ca = make_ca("other", 365, now);
  EXPECT_EQ(verify(other_ca.cert_pem, server.cert_pem, "localhost"), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

  X509* leaf = parse(server.cert_pem);
  auto info = certificate_info(leaf);
  EXPECT_EQ(info.names, (std::vector<std::string>{"localhost", "gw.example", "127.0.0.1", "::1"}));
  EXPECT_EQ(X509_get_version(leaf), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(leaf), 0);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(leaf)), EVP_PKEY_EC);
  EXPECT_NEAR(static_cast<double>(info.not_after - now), 30.0 * 86400, 5);
  X509_free(leaf);
  X509* ca_cert = parse(ca.cert_pem);
  EXPECT_GT(X509_check_ca(ca_cert), 0);
  X509_free(ca_cert);
  // The CA cannot sign an intermediate CA that would be trusted (pathlen 0).
  EXPECT_NE(ca.cert_pem, server.cert_pem);
}

TEST(CertIssue, ExpiredAndNotYetValid) {
  const int64_t now = std::time(nullptr);
  auto ca = make_ca("test CA", 3650, now - 1000 * 86400);
  auto expired = issue_server_certificate(ca, {{"localhost"}, {}}, 2, now - 400 * 86400);
  EXPECT_EQ(verify(ca.cert_pem, expired.cert_pem, "localhost"), X509_V_ERR_CERT_HAS_EXPIRED);
  auto future = issue_server_certificate(ca, {{"localhost"}, {}}, 2, now + 2 * 86400);
  EXPECT_EQ(verify(ca.cert_pem, future.cert_pem, "localhost"), X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST(CertIssue, NamesAreChecked) {
  const auto ca = make_ca("test CA", 10, std::time(nullptr));
  for (std::string bad : {"", "a,DNS:evil.example", "a b", "a..b", ".a", "ex*mple", "a/b"}) {
    EXPECT_THROW(issue_server_certificate(ca, {{bad}, {}}, 1, std::time(nullptr)), Error) << bad;
  }
  for (std::string bad : {"1.2.3", "localhost", "1.2.3.4,IP:5.6.7.8", "::g"}) {
    EXPECT_THROW(issue_server_certificate(ca, {{}, {bad}}, 1, std::time(nullptr)), Error) << bad;
  }
  EXPECT_THROW(issue_server_certificate(ca, {{}, {}}, 1, std::time(nullptr)), Error);
  EXPECT_THROW(issue_server_certificate(ca, {{"localhost"}, {}}, 0, std::time(nullptr)), Error);
  EXPECT_NO_THROW(issue_server_certificate(ca, {{"*.example.com"}, {}}, 1, std::time(nullptr)));
  // A CA key that is not the CA's.
  auto other = make_ca("other", 10, std::time(nullptr));
  EXPECT_THROW(issue_server_certificate({ca.cert_pem, other.key_pem}, {{"localhost"}, {}}, 1, std::time(nullptr)),
               Error);
}

TEST(CertIssue, PinIsBase64Sha256OfTheKey) {
  auto ca = make_ca("test CA", 10, std::time(nullptr));
  auto a = issue_server_certificate(ca, {{"localhost"}, {}}, 1, std::time(nullptr));
  auto b = issue_server_certificate(ca, {{"localhost"}, {}}, 1, std::time(nullptr));
  EXPECT_EQ(public_key_pin(a.cert_pem).size(), 44u);
  EXPECT_NE(public_key_pin(a.cert_pem), public_key_pin(b.cert_pem));
}

TEST(InitDir, WritesFilesWithModesAndKeepsTheCa) {
  const std::string dir = temp_dir("init") + "/tls";
  auto first = init_dir(dir, {});
  EXPECT_FALSE(first.ca_kept);
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(first.ca_key), 0600u);
  EXPECT_EQ(mode_of(first.server_key), 0600u);
  EXPECT_EQ(mode_of(first.ca_cert), 0644u);
  EXPECT_EQ(mode_of(first.server_cert), 0644u);
  EXPECT_EQ(first.server.names, (std::vector<std::string>{"localhost", "127.0.0.1"}));
  const std::string ca = read_all(first.ca_cert), server = read_all(first.server_cert);
  EXPECT_EQ(verify(ca, server, "localhost"), X509_V_OK);
  // The files load as the gateway loads them.
  EXPECT_NO_THROW(make_server_context({first.server_cert, first.server_key}, nullptr, {"http/1.1"}));

  InitOptions more;
  more.names = {{"gw.example"}, {"10.0.0.7"}};
  more.days = 7;
  auto second = init_dir(dir, more);
  EXPECT_TRUE(second.ca_kept);
  EXPECT_EQ(read_all(second.ca_cert), ca);
  EXPECT_NE(read_all(second.server_cert), server);
  EXPECT_EQ(verify(ca, read_all(second.server_cert), "gw.example"), X509_V_OK);
  EXPECT_EQ(second.server.names, (std::vector<std::string>{"gw.example", "10.0.0.7"}));
  // No temporary file left behind.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 4u);
}

TEST(InitDir, LoneCaFileOrBadOptionsRefused) {
  const std::string dir = temp_dir("lone");
  write_text(dir + "/ca.pem", make_ca("x", 1, std::time(nullptr)).cert_pem);
  try {
    init_dir(dir, {});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("ca-key.pem"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/server.pem"));
  InitOptions bad;
  bad.days = 0;
  EXPECT_THROW(init_dir(temp_dir("days"), bad), Error);
}
