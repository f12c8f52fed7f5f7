// The gateway's TLS policy, driven through in-memory handshakes: versions
// and suites accepted and refused, ALPN, tickets across contexts and key
// rotation, no early data, failure classes, bad files.
#include "tls/server_context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/error.hpp"
#include "tls/alpn.hpp"
#include "tls/handshake_failure.hpp"
#include "tls/test_support.hpp"

using namespace haul;
using namespace haul::tls;
using namespace haul::tls::testing;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kAlpn = {"http/1.1"};

struct Server {
  Files files = make_files("policy");
  std::shared_ptr<TicketKeys> keys = std::make_shared<TicketKeys>();
  ServerContext context = make_server_context(files.server_files(), keys, kAlpn);
  SSL_CTX* ctx() { return context.ctx.get(); }
};

HandshakeFailure failure_of(unsigned long error) {
  return classify_ssl_reason(ERR_GET_REASON(error));
}

}  // namespace

TEST(ServerPolicy, Tls13PreferredWithAes128Gcm) {
  Server s;
  ClientOptions o;
  o.ca_pem = s.files.ca.cert_pem;
  auto out = handshake(s.ctx(), o);
  ASSERT_TRUE(out.ok);
  EXPECT_EQ(out.verify_result, X509_V_OK);
  EXPECT_EQ(out.protocol, "TLSv1.3");
  EXPECT_EQ(out.cipher, "TLS_AES_128_GCM_SHA256");
  EXPECT_FALSE(out.resumed);
  SSL_SESSION_free(out.session);
}

TEST(ServerPolicy, Tls12OnlyWithEcdheAead) {
  Server s;
  ClientOptions gcm;
  gcm.max_version = TLS1_2_VERSION;
  auto ok = handshake(s.ctx(), gcm);
  ASSERT_TRUE(ok.ok);
  EXPECT_EQ(ok.protocol, "TLSv1.2");
  EXPECT_EQ(ok.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
  SSL_SESSION_free(ok.session);

  ClientOptions chacha = gcm;
  chacha.ciphers12 = "ECDHE-ECDSA-CHACHA20-POLY1305";
  auto c = handshake(s.ctx(), chacha);
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.cipher, "ECDHE-ECDSA-CHACHA20-POLY1305");
  SSL_SESSION_free(c.session);

  for (const char* weak : {"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "AES128-GCM-SHA256",
                           "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384"}) {
    ClientOptions cbc = gcm;
    cbc.ciphers12 = weak;
    auto refused = handshake(s.ctx(), cbc);
    EXPECT_FALSE(refused.ok) << weak;
    EXPECT_EQ(failure_of(refused.server_error), HandshakeFailure::no_shared_cipher) << weak;
  }
}

TEST(ServerPolicy, OlderThanTls12Refused) {
  Server s;
  for (int version : {TLS1_1_VERSION, TLS1_VERSION}) {
    ClientOptions old;
    old.min_version = version;
    old.max_version = version;
    old.ciphers12 = "DEFAULT@SECLEVEL=0";
    auto out = handshake(s.ctx(), old);
    EXPECT_FALSE(out.ok) << version;
    EXPECT_EQ(failure_of(out.server_error), HandshakeFailure::protocol_version) << version;
  }
}

TEST(ServerPolicy, AlpnHttp11) {
  Server s;
  ClientOptions both;
  both.alpn = alpn_wire(std::vector<std::string>{"h2", "http/1.1"});
  auto out = handshake(s.ctx(), both);
  ASSERT_TRUE(out.ok);
  EXPECT_EQ(out.alpn, "http/1.1");
  SSL_SESSION_free(out.session);

  ClientOptions none;
  auto plain = handshake(s.ctx(), none);
  ASSERT_TRUE(plain.ok);
  EXPECT_EQ(plain.alpn, "");
  SSL_SESSION_free(plain.session);

  ClientOptions h2_only;
  h2_only.alpn = alpn_wire(std::vector<std::string>{"h2"});
  auto refused = handshake(s.ctx(), h2_only);
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(failure_of(refused.server_error), HandshakeFailure::no_alpn);
}

TEST(ServerPolicy, NoCompressionNoEarlyData) {
  Server s;
  EXPECT_NE(SSL_CTX_get_options(s.ctx()) & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(SSL_CTX_get_options(s.ctx()) & SSL_OP_NO_RENEGOTIATION, 0u);
  EXPECT_EQ(SSL_CTX_get_max_early_data(s.ctx()), 0u);
  auto out = handshake(s.ctx(), {});
  ASSERT_TRUE(out.ok);
  ASSERT_NE(out.session, nullptr);
  EXPECT_EQ(SSL_SESSION_get_max_early_data(out.session), 0u);  // tickets never invite 0-RTT
  SSL_SESSION_free(out.session);
}

TEST(ServerPolicy, TicketsResumeTls13AndTls12) {
  Server s;
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    ClientOptions o;
    o.max_version = version;
    auto first = handshake(s.ctx(), o);
    ASSERT_TRUE(first.ok);
    ASSERT_TRUE(SSL_SESSION_is_resumable(first.session)) << version;
    o.session = first.session;
    auto second = handshake(s.ctx(), o);
    ASSERT_TRUE(second.ok);
    EXPECT_TRUE(second.resumed) << version;
    SSL_SESSION_free(first.session);
    SSL_SESSION_free(second.session);
  }
}

// TLS 1.3 clients use a ticket once (RFC 8446 C.4; libcurl's OpenSSL
// clients do): each resumption must hand out a fresh ticket, or every other
// new connection of a client falls back to a full handshake.
TEST(ServerPolicy, Tls13ResumptionIssuesAFreshTicket) {
  Server s;
  ClientOptions o;
  o.max_version = TLS1_3_VERSION;
  auto first = handshake(s.ctx(), o);
  ASSERT_TRUE(first.ok);
  o.session = first.session;
  auto second = handshake(s.ctx(), o);
  ASSERT_TRUE(second.ok && second.resumed);
  auto ticket = [](const SSL_SESSION* session) {
    const unsigned char* data = nullptr;
    size_t length = 0;
    SSL_SESSION_get0_ticket(session, &data, &length);
    return std::string(reinterpret_cast<const char*>(data), length);
  };
  ASSERT_FALSE(ticket(second.session).empty());
  EXPECT_TRUE(ticket(second.session) != ticket(first.session)) << "the resumption issued no new ticket";
  o.session = second.session;
  auto third = handshake(s.ctx(), o);
  EXPECT_TRUE(third.ok && third.resumed);
  SSL_SESSION_free(first.session);
  SSL_SESSION_free(second.session);
  SSL_SESSION_free(third.session);
}

TEST(ServerPolicy, ReloadedContextWithTheSameKeysResumes) {
  Server s;
  auto first = handshake(s.ctx(), {});
  ASSERT_TRUE(first.ok);
  // A reload: a new certificate from the same CA, a new context, the same keys.
  auto renewed = issue_server_certificate(s.files.ca, {{"localhost"}, {}}, 10, std::time(nullptr));
  write_text(s.files.dir + "/server.pem", renewed.cert_pem);
  write_text(s.files.dir + "/server-key.pem", renewed.key_pem);
  auto reloaded = make_server_context(s.files.server_files(), s.keys, kAlpn);
  ClientOptions o;
  o.session = first.session;
  auto second = handshake(reloaded.ctx.get(), o);
  ASSERT_TRUE(second.ok);
  EXPECT_TRUE(second.resumed);
  // Other keys (a restarted gateway): a full handshake, no failure.
  auto restarted = make_server_context(s.files.server_files(), std::make_shared<TicketKeys>(), kAlpn);
  auto third = handshake(restarted.ctx.get(), o);
  ASSERT_TRUE(third.ok);
  EXPECT_FALSE(third.resumed);
  SSL_SESSION_free(first.session);
  SSL_SESSION_free(second.session);
  SSL_SESSION_free(third.session);
}

TEST(ServerPolicy, RotatedKeysResumeUntilTheyFallOut) {
  auto files = make_files("rotate");
  TicketKeys::Clock::time_point now{std::chrono::hours(5000)};
  auto keys = std::make_shared<TicketKeys>(TicketKeyPolicy{3600s, 2}, [&now] { return now; });
  auto ctx = make_server_context(files.server_files(), keys, kAlpn);
  auto first = handshake(ctx.ctx.get(), {});
  ASSERT_TRUE(first.ok);
  now += 90min;  // sealed under a key one rotation back: still opens
  ClientOptions o;
  o.session = first.session;
  auto second = handshake(ctx.ctx.get(), o);
  EXPECT_TRUE(second.ok && second.resumed);
  now += 3h;  // the key fell out
  auto third = handshake(ctx.ctx.get(), o);
  ASSERT_TRUE(third.ok);
  EXPECT_FALSE(third.resumed);
  SSL_SESSION_free(first.session);
  SSL_SESSION_free(second.session);
  SSL_SESSION_free(third.session);
}

TEST(ServerPolicy, ClientVerificationFailures) {
  Server s;
  ClientOptions good;
  good.ca_pem = s.files.ca.cert_pem;
  good.host = "127.0.0.1";
  auto ip = handshake(s.ctx(), good);
  EXPECT_TRUE(ip.ok);
  EXPECT_EQ(ip.verify_result, X509_V_OK);
  SSL_SESSION_free(ip.session);

  ClientOptions wrong_name = good;
  wrong_name.host = "gw.example";
  auto name = handshake(s.ctx(), wrong_name);
  EXPECT_FALSE(name.ok);
  EXPECT_EQ(name.verify_result, X509_V_ERR_HOSTNAME_MISMATCH);

  ClientOptions wrong_ca = good;
  wrong_ca.ca_pem = make_ca("another CA", 10, std::time(nullptr)).cert_pem;
  auto ca = handshake(s.ctx(), wrong_ca);
  EXPECT_FALSE(ca.ok);
  EXPECT_EQ(ca.verify_result, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(failure_of(ca.server_error), HandshakeFailure::peer_alert);

  // Expired: issued 400 days ago for 30 days. It still loads (the gateway
  // warns); clients refuse it.
  auto old = make_files("expired", std::time(nullptr) - 400 * 86400, 30);
  auto ctx = make_server_context(old.server_files(), std::make_shared<TicketKeys>(), kAlpn);
  EXPECT_LT(ctx.certificate.not_after, std::time(nullptr));
  ClientOptions expired;
  expired.ca_pem = old.ca.cert_pem;
  auto e = handshake(ctx.ctx.get(), expired);
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.verify_result, X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(ServerPolicy, GarbageAndPlainHttpClassified) {
  Server s;
  EXPECT_EQ(failure_of(server_error_for_bytes(s.ctx(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
            HandshakeFailure::plain_http);
  EXPECT_EQ(failure_of(server_error_for_bytes(s.ctx(), std::string(64, 'x'))), HandshakeFailure::not_tls);
  EXPECT_EQ(failure_of(server_error_for_bytes(s.ctx(), std::string("\x16\x03\x01\xff\xff", 5) + std::string(64, '\0'))),
            HandshakeFailure::not_tls);
  // A record header announcing a ClientHello that never comes: no error yet
  // (the session's deadline cuts it).
  EXPECT_EQ(server_error_for_bytes(s.ctx(), std::string("\x16\x03\x01\x02\x00", 5)), 0u);
}

TEST(ServerPolicy, CertificateFacts) {
  Server s;
  const auto& info = s.context.certificate;
  EXPECT_NE(info.subject.find("CN=localhost"), std::string::npos);
  EXPECT_EQ(info.names, (std::vector<std::string>{"localhost", "127.0.0.1"}));
  EXPECT_GT(info.not_after, std::time(nullptr) + 29 * 86400);
  EXPECT_LT(info.not_before, std::time(nullptr));
}

TEST(ServerPolicy, BadFilesAreConfigErrorsNamingTheFile) {
  Server s;
  auto expect_config_error = [&](const ServerFiles& files, const std::string& needle) {
    try {
      make_server_context(files, s.keys, kAlpn);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_EQ(ERR_peek_error(), 0u);  // nothing left on the thread's queue
  };
  const auto good = s.files.server_files();
  expect_config_error({s.files.dir + "/missing.pem", good.key_file}, "missing.pem");
  expect_config_error({good.cert_file, s.files.dir + "/missing-key.pem"}, "missing-key.pem");
  write_text(s.files.dir + "/junk.pem", "not a certificate\n");
  expect_config_error({s.files.dir + "/junk.pem", good.key_file}, "junk.pem");
  expect_config_error({good.cert_file, s.files.dir + "/junk.pem"}, "junk.pem");
  // A key of another certificate.
  auto other = issue_server_certificate(s.files.ca, {{"localhost"}, {}}, 10, std::time(nullptr));
  write_text(s.files.dir + "/other-key.pem", other.key_pem);
  expect_config_error({good.cert_file, s.files.dir + "/other-key.pem"}, "does not match");
  // An encrypted key: refused, never a terminal prompt.
  BIO* in = BIO_new_mem_buf(s.files.server.key_pem.data(), static_cast<int>(s.files.server.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), const_cast<char*>("secret"), 6, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(out, &data);
  write_text(s.files.dir + "/encrypted-key.pem", std::string(data, static_cast<size_t>(n)));
  BIO_free(out);
  BIO_free(in);
  EVP_PKEY_free(key);
  expect_config_error({good.cert_file, s.files.dir + "/encrypted-key.pem"}, "encrypted-key.pem");
}

TEST(ServerPolicy, ChainFileSendsIntermediates) {
  Server s;
  // The CA appended after the leaf: loaded as a chain certificate.
  write_text(s.files.dir + "/chain.pem", s.files.server.cert_pem + s.files.ca.cert_pem);
  auto ctx = make_server_context({s.files.dir + "/chain.pem", s.files.dir + "/server-key.pem"}, s.keys, kAlpn);
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.ctx.get(), &chain), 1);
  EXPECT_EQ(sk_X509_num(chain), 1);
}

TEST(HandshakeFailure, LabelsAreBounded) {
  std::set<std::string_view> labels;
  for (int reason = 0; reason < 1200; ++reason) labels.insert(failure_label(classify_ssl_reason(reason)));
  EXPECT_LE(labels.size(), kHandshakeFailures);
  EXPECT_EQ(failure_label(HandshakeFailure::timeout), "timeout");
}
