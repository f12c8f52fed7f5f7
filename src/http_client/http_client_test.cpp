// Unit tests of the libcurl layer's sans-IO rules: the response head parser,
// the classification of libcurl's result codes and of HTTP statuses, and the
// retry policy with its backoff (random draws passed in). No sockets.

#include <gtest/gtest.h>

#include <cerrno>

#include <curl/curl.h>

#include <set>
#include <string>

#include "core/error.hpp"
#include "http_client/base_target.hpp"
#include "http_client/failure.hpp"
#include "http_client/response_head.hpp"
#include "http_client/retry.hpp"
#include "http_client/tls.hpp"
#include "http_client/tls_sessions.hpp"

namespace haul::http_client {
namespace {

using namespace std::chrono_literals;

ResponseHead feed(std::initializer_list<std::string_view> lines) {
  ResponseHead head;
  for (auto line : lines) head.feed_line(line);
  return head;
}

TEST(ResponseHead, StatusAndFieldsWithLowerCaseNamesAndTrimmedValues) {
  auto head = feed({"HTTP/1.1 206 Partial Content\r\n", "Content-Range:  bytes 0-9/100 \r\n", "ETag:\t\"abc\"\r\n",
                    "X-Empty:\r\n", "\r\n"});
  EXPECT_EQ(head.status, 206);
  EXPECT_TRUE(head.complete);
  EXPECT_EQ(head.value("content-range"), "bytes 0-9/100");
  EXPECT_EQ(head.value("etag"), "\"abc\"");
  ASSERT_NE(head.find("x-empty"), nullptr);
  EXPECT_EQ(*head.find("x-empty"), "");
  EXPECT_EQ(head.find("Content-Range"), nullptr);  // names are looked up lower-case
  EXPECT_EQ(head.value("missing"), "");
}

TEST(ResponseHead, InterimAnswerIsForgotten) {
  auto head = feed({"HTTP/1.1 100 Continue\r\n", "X-Interim: 1\r\n", "\r\n"});
  EXPECT_EQ(head.status, 100);
  EXPECT_FALSE(head.complete);  // a 1xx block does not end the head
  head.feed_line("HTTP/1.1 201 Created\r\n");
  EXPECT_FALSE(head.complete);
  head.feed_line("Content-Length: 5\r\n");
  head.feed_line("\r\n");
  EXPECT_EQ(head.status, 201);
  EXPECT_TRUE(head.complete);
  EXPECT_EQ(head.find("x-interim"), nullptr);
  EXPECT_EQ(head.value("content-length"), "5");
}

TEST(ResponseHead, FirstOfRepeatedFieldsAndJunkLinesIgnored) {
  auto head = feed({"HTTP/1.1 200 OK", "A: 1", "a: 2", "no colon here", ": no name", "B:x:y"});
  EXPECT_EQ(head.value("a"), "1");
  EXPECT_EQ(head.headers.size(), 3u);
  EXPECT_EQ(head.value("b"), "x:y");
  EXPECT_FALSE(head.complete);  // no empty line yet
}

TEST(ResponseHead, UnreadableStatusIsZero) {
  for (auto line : {"HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 2x0 OK", "HTTP/1.1 20", "HTTP/2 -12 x"})
    EXPECT_EQ(feed({line}).status, 0) << line;
  EXPECT_EQ(feed({"HTTP/2 404"}).status, 404);
}

TEST(Failure, DetailSkipsTheFastOpenGetpeernameText) {
  const std::string_view expired = "SSL certificate problem: certificate has expired";
  EXPECT_EQ(failure_detail(CURLE_PEER_FAILED_VERIFICATION, expired, "", "peer failed"), expired);
  const std::string_view artifact = "getpeername() failed with errno 107: Transport endpoint is not connected";
  EXPECT_EQ(failure_detail(CURLE_PEER_FAILED_VERIFICATION, artifact, "certificate has expired", "peer failed"),
            expired);
  EXPECT_NE(failure_detail(CURLE_PEER_FAILED_VERIFICATION, artifact, "", "peer failed").find("host name"),
            std::string::npos);
  EXPECT_EQ(failure_detail(CURLE_RECV_ERROR, artifact, "", "Failure when receiving data"),
            "Failure when receiving data");
  EXPECT_EQ(failure_detail(CURLE_COULDNT_CONNECT, "", "", "Couldn't connect to server"), "Couldn't connect to server");
}

TEST(Failure, AFastOpenConnectionThatNeverCameUpFailedToConnect) {
  const std::string_view deferred = "getpeername() failed with errno 107: Transport endpoint is not connected";
  EXPECT_EQ(refine_failure(CURLE_SSL_CONNECT_ERROR, deferred, ECONNREFUSED), Failure::connect);
  EXPECT_EQ(refine_failure(CURLE_SEND_ERROR, deferred, ECONNREFUSED), Failure::connect);
  EXPECT_EQ(refine_failure(CURLE_RECV_ERROR, deferred, EHOSTUNREACH), Failure::connect);
  EXPECT_EQ(refine_failure(CURLE_SSL_CONNECT_ERROR, deferred, 0), Failure::tls);
  EXPECT_EQ(refine_failure(CURLE_RECV_ERROR, deferred, ECONNRESET), Failure::transport);
  // A connection that connected the usual way: its errno may be stale.
  EXPECT_EQ(refine_failure(CURLE_SSL_CONNECT_ERROR, "SSL routines::wrong version number", ECONNREFUSED), Failure::tls);
  EXPECT_EQ(refine_failure(CURLE_RECV_ERROR, "", ECONNREFUSED), Failure::transport);
  // A certificate that did not verify is that, whatever errno says.
  EXPECT_EQ(refine_failure(CURLE_PEER_FAILED_VERIFICATION, deferred, ECONNREFUSED), Failure::tls);
  EXPECT_EQ(refine_failure(CURLE_OPERATION_TIMEDOUT, deferred, ECONNREFUSED), Failure::timeout);
}

TEST(Failure, CurlCodesByWhatRepeatingCanCure) {
  EXPECT_EQ(classify_curl(CURLE_OK), Failure::none);
  for (CURLcode c : {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY})
    EXPECT_EQ(classify_curl(c), Failure::connect) << c;
  EXPECT_EQ(classify_curl(CURLE_OPERATION_TIMEDOUT), Failure::timeout);
  for (CURLcode c : {CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_SEND_FAIL_REWIND,
                     CURLE_WEIRD_SERVER_REPLY})
    EXPECT_EQ(classify_curl(c), Failure::transport) << c;
  for (CURLcode c : {CURLE_WRITE_ERROR, CURLE_READ_ERROR, CURLE_ABORTED_BY_CALLBACK, CURLE_URL_MALFORMAT,
                     CURLE_OUT_OF_MEMORY, CURLE_UNSUPPORTED_PROTOCOL})
    EXPECT_EQ(classify_curl(c), Failure::local) << c;
}

TEST(Failure, TlsCodesAreTheirOwnKindNeverRetried) {
  // Unknown CA, wrong name and expired certificate all come as
  // PEER_FAILED_VERIFICATION (libcurl's error buffer says which).
  for (CURLcode c : {CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
                     CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CIPHER}) {
    EXPECT_EQ(classify_curl(c), Failure::tls) << c;
    EXPECT_FALSE(tls_hint(c).empty()) << c;
  }
  EXPECT_EQ(failure_name(Failure::tls), "tls");
  EXPECT_EQ(error_kind(Failure::tls, 0), ErrorKind::config);
  EXPECT_FALSE(should_retry(RetryPolicy{}, Failure::tls, 0, true, 1));
  EXPECT_TRUE(should_retry(RetryPolicy{}, Failure::transport, 0, true, 1));  // the contrast
  EXPECT_NE(tls_hint(CURLE_PEER_FAILED_VERIFICATION).find("--cacert"), std::string_view::npos);
  EXPECT_NE(tls_hint(CURLE_SSL_PINNEDPUBKEYNOTMATCH).find("--pin-sha256"), std::string_view::npos);
  EXPECT_EQ(tls_hint(CURLE_RECV_ERROR), "");
  // Client certificate problems stay local (ours to fix, not the server's).
  EXPECT_EQ(classify_curl(CURLE_SSL_CERTPROBLEM), Failure::local);
}

TEST(Tls, PinSyntax) {
  const std::string b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";  // SHA-256 of ""
  EXPECT_EQ(curl_pin(b64), "sha256//" + b64);
  EXPECT_EQ(curl_pin("sha256//" + b64), "sha256//" + b64);
  EXPECT_EQ(curl_pin(""), std::nullopt);
  EXPECT_EQ(curl_pin(b64.substr(1)), std::nullopt);            // 43 characters
  EXPECT_EQ(curl_pin(b64.substr(0, 43) + "A"), std::nullopt);  // no padding
  EXPECT_EQ(curl_pin("!" + b64.substr(1)), std::nullopt);      // not base64
  EXPECT_EQ(curl_pin("sha1//" + b64), std::nullopt);
  EXPECT_EQ(curl_pin(b64 + ";sha256//" + b64), std::nullopt);  // one pin only
}

TEST(Tls, HostPortOfUrls) {
  EXPECT_EQ(url_host_port("https://gw.example:8443/v1/objects/a"), "gw.example:8443");
  EXPECT_EQ(url_host_port("https://gw.example/v1"), "gw.example:443");
  EXPECT_EQ(url_host_port("HTTPS://gw.example"), "gw.example:443");
  EXPECT_EQ(url_host_port("http://127.0.0.1"), "127.0.0.1:80");
  EXPECT_EQ(url_host_port("https://user:pw@h:1?x=y"), "h:1");
  EXPECT_EQ(url_host_port("https://[::1]:9443/x"), "[::1]:9443");
  EXPECT_EQ(url_host_port("https://[::1]/x"), "[::1]:443");
  EXPECT_EQ(url_host_port("https://[::1"), "");
  EXPECT_EQ(url_host_port("https:///x"), "");
  EXPECT_EQ(url_host_port("https://h:/x"), "");
}

TEST(Tls, SessionKeysSeparateTrustSettings) {
  TlsOptions system, ca{"/etc/ca.pem", "", false}, insecure{"", "", true};
  TlsOptions pinned{"", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false};
  TlsOptions pinned_prefixed{"", "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false};
  std::set<std::string> keys;
  for (const auto& o : {system, ca, insecure, pinned}) keys.insert(session_key("h:443", o));
  keys.insert(session_key("h:8443", system));
  keys.insert(session_key("g:443", system));
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_EQ(session_key("h:443", pinned), session_key("h:443", pinned_prefixed));
  EXPECT_EQ(session_key("h:443", system), session_key("h:443", TlsOptions{}));
}

StoredSession session(std::string der, int64_t expires) {
  return StoredSession{std::move(der), expires};
}

TEST(TlsSessionFile, RoundTrip) {
  StoredSessions s;
  put_session(s, "a:443 ca= pin= verified", session(std::string("\x30\x00\xff\n\"", 5), 2000), 1000);
  put_session(s, "b:8443 ca=/x pin= verified", session("zz", 3000), 1000);
  auto back = decode_sessions(encode_sessions(s), 1000);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back["a:443 ca= pin= verified"].der, std::string("\x30\x00\xff\n\"", 5));
  EXPECT_EQ(back["a:443 ca= pin= verified"].expires_unix, 2000);
  EXPECT_EQ(back["b:8443 ca=/x pin= verified"].der, "zz");
}

TEST(TlsSessionFile, ExpiredOnesAreDropped) {
  StoredSessions s;
  put_session(s, "old", session("x", 1500), 1000);
  put_session(s, "new", session("y", 2500), 1000);
  put_session(s, "dead", session("z", 900), 1000);  // already expired: not filed
  EXPECT_EQ(s.size(), 2u);
  auto later = decode_sessions(encode_sessions(s), 2000);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later.count("new"), 1u);
  EXPECT_TRUE(decode_sessions(encode_sessions(s), 2500).empty());  // expiry is exclusive
}

TEST(TlsSessionFile, BoundedByCountAndSize) {
  StoredSessions s;
  for (int i = 0; i < static_cast<int>(kStoredSessionsKept) + 5; ++i)
    put_session(s, "k" + std::to_string(i), session("d", 2000 + i), 1000);
  EXPECT_EQ(s.size(), kStoredSessionsKept);
  EXPECT_EQ(s.count("k0"), 0u);  // the ones expiring first went
  EXPECT_EQ(s.count("k4"), 0u);
  EXPECT_EQ(s.count("k5"), 1u);
  put_session(s, "big", session(std::string(kStoredSessionMaxBytes + 1, 'x'), 5000), 1000);
  EXPECT_EQ(s.count("big"), 0u);
  put_session(s, "empty", session("", 5000), 1000);
  EXPECT_EQ(s.count("empty"), 0u);
}

TEST(TlsSessionFile, CorruptInputReadsAsNoSessionsOrSkipsTheBadEntry) {
  for (std::string_view text :
       {"", "{", "null", "[]", "{\"version\":2,\"sessions\":{}}", "{\"sessions\":{}}", "{\"version\":\"1\"}",
        "{\"version\":1}", "{\"version\":1,\"sessions\":[]}", "\x00\xff garbage"})
    EXPECT_TRUE(decode_sessions(text, 1000).empty()) << text;
  auto s = decode_sessions(R"({"version":1,"sessions":{
      "odd-hex":{"der":"abc","expires":2000},
      "not-hex":{"der":"zz","expires":2000},
      "no-expiry":{"der":"00"},
      "string-expiry":{"der":"00","expires":"2000"},
      "not-object":5,
      "good":{"der":"3000","expires":2000}}})",
                           1000);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s["good"].der, std::string("\x30\x00", 2));
  // Every prefix of a good file is harmless too.
  StoredSessions good;
  put_session(good, "h:443 ca= pin= verified", session("0123456789", 2000), 1000);
  const std::string text = encode_sessions(good);
  for (size_t n = 0; n < text.rfind('}'); ++n) EXPECT_TRUE(decode_sessions(text.substr(0, n), 1000).empty()) << n;
}

TEST(Failure, KindsForTransportFailuresAndStatuses) {
  EXPECT_EQ(error_kind(Failure::connect, 0), ErrorKind::backend_unavailable);
  EXPECT_EQ(error_kind(Failure::transport, 0), ErrorKind::backend_unavailable);
  EXPECT_EQ(error_kind(Failure::timeout, 0), ErrorKind::backend_timeout);
  EXPECT_EQ(error_kind(Failure::local, 0), ErrorKind::io);
  // A status decides only when the exchange itself worked.
  EXPECT_EQ(error_kind(Failure::timeout, 404), ErrorKind::backend_timeout);
  // Every kind the gateway answers with a status of its own maps back to itself.
  for (ErrorKind k :
       {ErrorKind::bad_request, ErrorKind::unauthorized, ErrorKind::not_found, ErrorKind::method_not_allowed,
        ErrorKind::conflict, ErrorKind::length_required, ErrorKind::payload_too_large, ErrorKind::range_not_satisfiable,
        ErrorKind::too_many_requests, ErrorKind::headers_too_large, ErrorKind::not_implemented,
        ErrorKind::backend_unavailable, ErrorKind::backend_timeout, ErrorKind::io})
    EXPECT_EQ(error_kind(Failure::http, http_status(k)), k) << kind_name(k);
  EXPECT_EQ(error_kind(Failure::http, 403), ErrorKind::unauthorized);
  EXPECT_EQ(error_kind(Failure::http, 503), ErrorKind::backend_unavailable);
  EXPECT_EQ(error_kind(Failure::http, 500), ErrorKind::internal);
  EXPECT_EQ(error_kind(Failure::http, 418), ErrorKind::internal);
}

TEST(Retry, OnlyIdempotentAttemptsAfterCurableFailures) {
  RetryPolicy p;  // 3 attempts
  EXPECT_TRUE(should_retry(p, Failure::connect, 0, true, 1));
  EXPECT_TRUE(should_retry(p, Failure::transport, 0, true, 2));
  EXPECT_TRUE(should_retry(p, Failure::timeout, 0, true, 1));
  EXPECT_FALSE(should_retry(p, Failure::transport, 0, true, 3));  // the third was the last
  EXPECT_FALSE(should_retry(p, Failure::transport, 0, false, 1));
  EXPECT_FALSE(should_retry(p, Failure::local, 0, true, 1));
  EXPECT_FALSE(should_retry(p, Failure::none, 200, true, 1));
  for (int s : {429, 502, 503, 504}) EXPECT_TRUE(should_retry(p, Failure::http, s, true, 1)) << s;
  for (int s : {400, 401, 404, 409, 416, 500, 501, 507}) EXPECT_FALSE(should_retry(p, Failure::http, s, true, 1)) << s;
  p.retry_500 = true;  // the S3 store's
  EXPECT_TRUE(should_retry(p, Failure::http, 500, true, 1));
  EXPECT_FALSE(should_retry(p, Failure::http, 501, true, 1));
  p.attempts = 1;
  EXPECT_FALSE(should_retry(p, Failure::connect, 0, true, 1));
}

TEST(Retry, BackoffDoublesToTheCapAndJitterTakesTheDrawnShare) {
  RetryPolicy p{4, 100ms, 2000ms, 0, false};
  EXPECT_EQ(backoff(p, 1, 0.9), 100ms);  // no jitter: the draw does not matter
  EXPECT_EQ(backoff(p, 2, 0.0), 200ms);
  EXPECT_EQ(backoff(p, 3, 0.5), 400ms);
  EXPECT_EQ(backoff(p, 5, 0.0), 1600ms);
  EXPECT_EQ(backoff(p, 6, 0.0), 2000ms);
  EXPECT_EQ(backoff(p, 1000, 0.0), 2000ms);  // no overflow on absurd attempts
  p.jitter = 0.75;
  EXPECT_EQ(backoff(p, 1, 0.0), 100ms);  // a draw of 0 keeps the full step
  EXPECT_EQ(backoff(p, 1, 1.0), 25ms);   // the top draw takes three quarters off
  EXPECT_EQ(backoff(p, 3, 0.5), 250ms);  // 400 - 0.75 x 0.5 x 400
  EXPECT_EQ(backoff(p, 9, 1.0), 500ms);  // jitter applies to the capped step
  EXPECT_EQ(backoff(p, 1, 7.0), 25ms);   // draws outside [0, 1] are clamped
  p.base = 0ms;
  EXPECT_EQ(backoff(p, 3, 0.3), 0ms);
  p = RetryPolicy{3, 3000ms, 2000ms, 0, false};
  EXPECT_EQ(backoff(p, 1, 0.0), 2000ms);  // base above the cap: the cap
}

TEST(Retry, DrawnBackoffStaysInsideTheJitterBand) {
  RetryPolicy p{4, 100ms, 2000ms, 0.75, false};
  for (int i = 0; i < 200; ++i) {
    auto d = backoff(p, 2);
    EXPECT_GE(d, 50ms);
    EXPECT_LE(d, 200ms);
  }
}

TEST(BaseTarget, UnixPathsGoThroughTheSocketWithALocalhostUrl) {
  auto t = split_base_target("unix:/run/haul/edge.sock");
  EXPECT_EQ(t.url, "http://localhost");
  EXPECT_EQ(t.unix_socket, "/run/haul/edge.sock");
  t = split_base_target("https://gw.example:8443");
  EXPECT_EQ(t.url, "https://gw.example:8443");
  EXPECT_TRUE(t.unix_socket.empty());
  EXPECT_THROW(split_base_target("unix:"), Error);
}

}  // namespace
}  // namespace haul::http_client
