// Unit tests of the libcurl layer's sans-IO rules: the response head parser,
// the classification of libcurl's result codes and of HTTP statuses, and the
// retry policy with its backoff (random draws passed in). No sockets.

#include <gtest/gtest.h>

#include <curl/curl.h>

#include "http_client/failure.hpp"
#include "http_client/response_head.hpp"
#include "http_client/retry.hpp"

namespace haul::http_client {
namespace {

using namespace std::chrono_literals;

ResponseHead feed(std::initializer_list<std::string_view> lines) {
  ResponseHead head;
  for (auto line : lines) head.feed_line(line);
  return head;
}

TEST(ResponseHead, StatusAndFieldsWithLowerCaseNamesAndTrimmedValues) {
  auto head = feed({"HTTP/1.1 206 Partial Content\r\n", "Content-Range:  bytes 0-9/100 \r\n",
                    "ETag:\t\"abc\"\r\n", "X-Empty:\r\n", "\r\n"});
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

TEST(Failure, CurlCodesByWhatRepeatingCanCure) {
  EXPECT_EQ(classify_curl(CURLE_OK), Failure::none);
  for (CURLcode c : {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY})
    EXPECT_EQ(classify_curl(c), Failure::connect) << c;
  EXPECT_EQ(classify_curl(CURLE_OPERATION_TIMEDOUT), Failure::timeout);
  for (CURLcode c : {CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
                     CURLE_SSL_CONNECT_ERROR, CURLE_SEND_FAIL_REWIND, CURLE_WEIRD_SERVER_REPLY})
    EXPECT_EQ(classify_curl(c), Failure::transport) << c;
  for (CURLcode c : {CURLE_WRITE_ERROR, CURLE_READ_ERROR, CURLE_ABORTED_BY_CALLBACK, CURLE_URL_MALFORMAT,
                     CURLE_OUT_OF_MEMORY, CURLE_UNSUPPORTED_PROTOCOL})
    EXPECT_EQ(classify_curl(c), Failure::local) << c;
}

TEST(Failure, KindsForTransportFailuresAndStatuses) {
  EXPECT_EQ(error_kind(Failure::connect, 0), ErrorKind::backend_unavailable);
  EXPECT_EQ(error_kind(Failure::transport, 0), ErrorKind::backend_unavailable);
  EXPECT_EQ(error_kind(Failure::timeout, 0), ErrorKind::backend_timeout);
  EXPECT_EQ(error_kind(Failure::local, 0), ErrorKind::io);
  // A status decides only when the exchange itself worked.
  EXPECT_EQ(error_kind(Failure::timeout, 404), ErrorKind::backend_timeout);
  // Every kind the gateway answers with a status of its own maps back to itself.
  for (ErrorKind k : {ErrorKind::bad_request, ErrorKind::unauthorized, ErrorKind::not_found,
                      ErrorKind::method_not_allowed, ErrorKind::conflict, ErrorKind::length_required,
                      ErrorKind::payload_too_large, ErrorKind::range_not_satisfiable, ErrorKind::too_many_requests,
                      ErrorKind::headers_too_large, ErrorKind::not_implemented, ErrorKind::backend_unavailable,
                      ErrorKind::backend_timeout, ErrorKind::io})
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
  EXPECT_EQ(backoff(p, 1, 0.0), 100ms);   // a draw of 0 keeps the full step
  EXPECT_EQ(backoff(p, 1, 1.0), 25ms);    // the top draw takes three quarters off
  EXPECT_EQ(backoff(p, 3, 0.5), 250ms);   // 400 - 0.75 x 0.5 x 400
  EXPECT_EQ(backoff(p, 9, 1.0), 500ms);   // jitter applies to the capped step
  EXPECT_EQ(backoff(p, 1, 7.0), 25ms);    // draws outside [0, 1] are clamped
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

}  // namespace
}  // namespace haul::http_client
