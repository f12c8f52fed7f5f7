#include "edge/window_warmup.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <algorithm>
#include <array>

#include "edge/upstream.hpp"
#include "net/send_congestion.hpp"

namespace haul::edge {

namespace {

namespace http = beast::http;
using boost::system::error_code;

constexpr size_t kPiece = 64 * 1024;

template <class Stream>
asio::awaitable<int> upload(Stream& stream, UpstreamConnection& conn, const std::string& authority,
                            const std::string& authorization, uint64_t bytes, error_code& ec) {
  static const std::array<char, kPiece> zeros{};
  http::request<http::empty_body> req{http::verb::put, "/v1/probe/upload", 11};
  req.set(http::field::host, authority);
  req.set(http::field::authorization, authorization);
  req.content_length(bytes);
  // The client's rule for upload bodies, chosen before the header goes out.
  net::set_send_congestion(conn.fd(), bytes);
  http::request_serializer<http::empty_body> header(req);
  co_await http::async_write_header(stream, header, asio::redirect_error(asio::use_awaitable, ec));
  for (uint64_t sent = 0; !ec && sent < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kPiece, bytes - sent));
    co_await asio::async_write(stream, asio::buffer(zeros.data(), n), asio::redirect_error(asio::use_awaitable, ec));
    sent += n;
  }
  if (ec) co_return 0;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  co_await http::async_read(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && !parser.get().keep_alive()) ec = asio::error::connection_reset;
  co_return parser.get().result_int();
}

template <class Stream>
asio::awaitable<int> download(Stream& stream, UpstreamConnection& conn, const std::string& authority,
                              const std::string& authorization, uint64_t bytes, error_code& ec) {
  http::request<http::empty_body> req{http::verb::get, "/v1/probe/download?bytes=" + std::to_string(bytes), 11};
  req.set(http::field::host, authority);
  req.set(http::field::authorization, authorization);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return 0;
  // Read and drop: the body is the gateway's generated pattern.
  std::array<char, kPiece> sink{};
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(bytes + 1);
  co_await http::async_read_header(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  while (!ec && !parser.is_done()) {
    parser.get().body().data = sink.data();
    parser.get().body().size = sink.size();
    co_await http::async_read(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
  }
  if (!ec && !parser.get().keep_alive()) ec = asio::error::connection_reset;
  co_return parser.get().result_int();
}

template <class Stream>
asio::awaitable<int> both(Stream& stream, UpstreamConnection& conn, const std::string& authority,
                          const std::string& authorization, uint64_t bytes, error_code& ec) {
  const int up = co_await upload(stream, conn, authority, authorization, bytes, ec);
  if (ec || up != 200) co_return up;
  co_return co_await download(stream, conn, authority, authorization, bytes, ec);
}

}  // namespace

asio::awaitable<int> warm_window(UpstreamConnection& conn, const std::string& authority,
                                 const std::string& authorization, uint64_t bytes, std::chrono::seconds timeout,
                                 error_code& ec) {
  // One deadline per exchange would let a crawling path take twice as
  // long; the whole warm-up gets the connect timeout twice.
  conn.tcp().expires_after(timeout * 2);
  int status = 0;
  if (conn.tls()) {
    status = co_await both(*conn.tls(), conn, authority, authorization, bytes, ec);
  } else {
    status = co_await both(*conn.plain(), conn, authority, authorization, bytes, ec);
  }
  conn.tcp().expires_never();
  co_return status;
}

}  // namespace haul::edge
