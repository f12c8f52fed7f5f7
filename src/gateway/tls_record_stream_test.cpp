// TlsRecordStream on real loopback sockets against Asio's own TLS client:
// both directions at once (with key updates on the way), small pieces
// gathered, close_notify, a truncated stream, plain HTTP on the TLS port;
// and in the client role against Asio's TLS server.
#include "gateway/tls_record_stream.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "core/test_pattern.hpp"
#include "tls/server_context.hpp"
#include "tls/test_support.hpp"

namespace haul::gateway {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using RecordStream = TlsRecordStream<boost::beast::tcp_stream>;
using ClientStream = ssl::stream<tcp::socket>;
using boost::system::error_code;

std::vector<uint8_t> pattern(size_t size, uint32_t seed) {
  return haul::testing::pattern<std::vector<uint8_t>>(size, seed);
}

// The test CA's server context, a client context trusting it, and TCP
// connections between the two over loopback.
struct Contexts {
  explicit Contexts(const char* tag)
      : files(tls::testing::make_files(tag)),
        server_context(tls::make_server_context(files.server_files(), std::make_shared<tls::TicketKeys>(), {"http/1.1"})
                           .ctx.release()),
        client_context(ssl::context::tls_client) {
    client_context.add_certificate_authority(asio::buffer(files.ca.cert_pem));
    client_context.set_verify_mode(ssl::verify_peer);
  }
  ~Contexts() { std::filesystem::remove_all(files.dir); }

  // A connected pair: {server's socket, client's socket}; client_rcvbuf > 0
  // bounds the client's receive buffer (set before connecting, so the
  // advertised window stays that small).
  std::pair<tcp::socket, tcp::socket> connect(int client_rcvbuf = 0) {
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket client_socket(io);
    client_socket.open(tcp::v4());
    if (client_rcvbuf > 0) client_socket.set_option(asio::socket_base::receive_buffer_size(client_rcvbuf));
    client_socket.connect(acceptor.local_endpoint());
    return {acceptor.accept(), std::move(client_socket)};
  }

  tls::testing::Files files;
  asio::io_context io;
  ssl::context server_context, client_context;
};

// The server side under TlsRecordStream, the client under Asio's
// ssl::stream. Nothing handshaken.
struct Link : Contexts {
  explicit Link(int client_rcvbuf = 0) : Contexts("stream") {
    auto [server_socket, client_socket] = connect(client_rcvbuf);
    server = std::make_unique<RecordStream>(boost::beast::tcp_stream(std::move(server_socket)), server_context);
    client = std::make_unique<ClientStream>(std::move(client_socket), client_context);
    SSL_set_tlsext_host_name(client->native_handle(), "localhost");
  }

  // Both handshakes, concurrently; true if both succeeded.
  bool handshake() {
    error_code server_ec, client_ec;
    server->async_handshake(ssl::stream_base::server, [&](error_code ec) { server_ec = ec; });
    client->async_handshake(ssl::stream_base::client, [&](error_code ec) { client_ec = ec; });
    io.run();
    io.restart();
    EXPECT_FALSE(server_ec) << server_ec.message();
    EXPECT_FALSE(client_ec) << client_ec.message();
    return !server_ec && !client_ec;
  }

  std::unique_ptr<RecordStream> server;
  std::unique_ptr<ClientStream> client;
};

TEST(TlsRecordStream, BothDirectionsAtOnceWithKeyUpdatesOnTheWay) {
  Link link;
  ASSERT_TRUE(link.handshake());
  const auto up = pattern(3 << 20, 1), down = pattern(5 << 20, 2);
  std::vector<uint8_t> server_got, client_got;
  error_code server_read_ec, server_write_ec, client_read_ec, client_write_ec;

  auto server_reader = [&]() -> asio::awaitable<void> {
    std::vector<uint8_t> buffer(64 * 1024);
    while (server_got.size() < up.size()) {
      const size_t n = co_await link.server->async_read_some(asio::buffer(buffer),
                                                             asio::redirect_error(asio::use_awaitable, server_read_ec));
      if (server_read_ec) co_return;
      server_got.insert(server_got.end(), buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(n));
    }
  };
  auto server_writer = [&]() -> asio::awaitable<void> {
    co_await asio::async_write(*link.server, asio::buffer(down),
                               asio::redirect_error(asio::use_awaitable, server_write_ec));
  };
  auto client_reader = [&]() -> asio::awaitable<void> {
    client_got.resize(down.size());
    co_await asio::async_read(*link.client, asio::buffer(client_got),
                              asio::redirect_error(asio::use_awaitable, client_read_ec));
  };
  auto client_writer = [&]() -> asio::awaitable<void> {
    for (size_t at = 0; at < up.size() && !client_write_ec; at += 100 * 1024) {
      // Every fifth piece asks the server to update its keys too.
      if ((at / (100 * 1024)) % 5 == 4) SSL_key_update(link.client->native_handle(), SSL_KEY_UPDATE_REQUESTED);
      const size_t n = std::min<size_t>(100 * 1024, up.size() - at);
      co_await asio::async_write(*link.client, asio::buffer(up.data() + at, n),
                                 asio::redirect_error(asio::use_awaitable, client_write_ec));
    }
  };
  asio::co_spawn(link.io, server_reader(), asio::detached);
  asio::co_spawn(link.io, server_writer(), asio::detached);
  asio::co_spawn(link.io, client_reader(), asio::detached);
  asio::co_spawn(link.io, client_writer(), asio::detached);
  link.io.run();

  EXPECT_FALSE(server_read_ec) << server_read_ec.message();
  EXPECT_FALSE(server_write_ec) << server_write_ec.message();
  EXPECT_FALSE(client_read_ec) << client_read_ec.message();
  EXPECT_FALSE(client_write_ec) << client_write_ec.message();
  EXPECT_TRUE(server_got == up);
  EXPECT_TRUE(client_got == down);
}

TEST(TlsRecordStream, SmallPiecesOfOneWriteArriveInOrderAndShutdownSendsCloseNotify) {
  Link link;
  ASSERT_TRUE(link.handshake());
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 300004\r\n\r\n";
  const std::string small = "four";
  const auto body = pattern(300000, 3);
  const std::array<asio::const_buffer, 3> pieces{asio::buffer(head), asio::buffer(small), asio::buffer(body)};
  std::string expected = head + small + std::string(body.begin(), body.end());

  error_code write_ec, shutdown_ec, read_ec;
  std::string got;
  auto server = [&]() -> asio::awaitable<void> {
    co_await asio::async_write(*link.server, pieces, asio::redirect_error(asio::use_awaitable, write_ec));
    co_await link.server->async_shutdown(asio::redirect_error(asio::use_awaitable, shutdown_ec));
  };
  auto client = [&]() -> asio::awaitable<void> {
    std::vector<char> buffer(40000);
    for (;;) {
      const size_t n = co_await link.client->async_read_some(asio::buffer(buffer),
                                                             asio::redirect_error(asio::use_awaitable, read_ec));
      got.append(buffer.data(), n);
      if (read_ec) co_return;
    }
  };
  asio::co_spawn(link.io, server(), asio::detached);
  asio::co_spawn(link.io, client(), asio::detached);
  link.io.run();
  EXPECT_FALSE(write_ec);
  EXPECT_FALSE(shutdown_ec) << shutdown_ec.message();
  EXPECT_EQ(read_ec, asio::error::eof) << read_ec.message();  // close_notify, not a truncation
  EXPECT_TRUE(got == expected) << got.size() << " of " << expected.size() << " bytes";
}

TEST(TlsRecordStream, ATcpCloseWithoutCloseNotifyReadsAsTruncated) {
  Link link;
  ASSERT_TRUE(link.handshake());
  error_code ec;
  // A FIN (close() would reset: the client never read the server's tickets).
  link.client->next_layer().shutdown(tcp::socket::shutdown_send);
  std::array<char, 100> buffer{};
  size_t n = 1;
  link.server->async_read_some(asio::buffer(buffer), [&](error_code e, size_t got) {
    ec = e;
    n = got;
  });
  link.io.run();
  EXPECT_EQ(ec, ssl::error::stream_truncated) << ec.message();
  EXPECT_EQ(n, 0u);
}

TEST(TlsRecordStream, PlainHttpOnTheTlsPortFailsTheHandshakeWithOpenSslsReason) {
  Link link;
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(link.client->next_layer(), asio::buffer(request));
  error_code ec;
  link.server->async_handshake(ssl::stream_base::server, [&](error_code e) { ec = e; });
  link.io.run();
  ASSERT_EQ(ec.category(), asio::error::get_ssl_category()) << ec.message();
  EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(ec.value())), SSL_R_HTTP_REQUEST);
}

// How much one write takes: 256 KiB while the reader keeps up; after a
// write whose bytes waited for a slow reader, what that reader takes in
// 100 ms (a slow reader's progress must show per write).
TEST(TlsRecordStream, AfterASlowReaderAWriteTakesLess) {
  // Both ends' buffers together hold less than one 256 KiB write: it waits
  // for the reader.
  Link link(16 << 10);
  ASSERT_TRUE(link.handshake());
  const int fd = link.server->next_layer().socket().native_handle();
  const int small = 64 << 10;
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &small, sizeof small) != 0) GTEST_SKIP() << "needs CAP_NET_ADMIN";
  const auto body = pattern(1 << 20, 6);
  std::vector<size_t> taken;
  bool written = false;
  std::vector<uint8_t> got;
  auto server = [&]() -> asio::awaitable<void> {
    size_t at = 0;
    for (int i = 0; i < 2; ++i) {
      at += taken.emplace_back(co_await link.server->async_write_some(asio::buffer(body.data() + at, body.size() - at),
                                                                      asio::use_awaitable));
    }
    written = true;
  };
  auto client = [&]() -> asio::awaitable<void> {
    asio::steady_timer pause(link.io, std::chrono::milliseconds(400));  // the reader is slow to start
    co_await pause.async_wait(asio::use_awaitable);
    std::vector<uint8_t> buffer(64 << 10);
    while (!written || got.size() < taken[0] + taken[1]) {
      const size_t n = co_await link.client->async_read_some(asio::buffer(buffer), asio::use_awaitable);
      got.insert(got.end(), buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(n));
    }
  };
  asio::co_spawn(link.io, server(), asio::detached);
  asio::co_spawn(link.io, client(), asio::detached);
  link.io.run();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0], RecordStream::kMaxWritePiece);  // no slow reader seen yet
  EXPECT_LT(taken[1], RecordStream::kMaxWritePiece);  // 256 KiB took >= 400 ms to leave
  EXPECT_GE(taken[1], RecordStream::kRecordPiece);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), body.begin()));
}

// The other role: the record stream as the client of Asio's TLS server,
// verifying its certificate and the name `host`.
struct ClientLink : Contexts {
  explicit ClientLink(const char* host) : Contexts("client-role") {
    auto [server_socket, client_socket] = connect();
    server = std::make_unique<ssl::stream<tcp::socket>>(std::move(server_socket), server_context);
    client = std::make_unique<RecordStream>(boost::beast::tcp_stream(std::move(client_socket)), client_context);
    SSL_set_tlsext_host_name(client->native_handle(), host);
    SSL_set1_host(client->native_handle(), host);
  }

  std::unique_ptr<ssl::stream<tcp::socket>> server;
  std::unique_ptr<RecordStream> client;
};

TEST(TlsRecordStream, AsAClientItVerifiesAndTalksToAsiosServer) {
  ClientLink link("localhost");
  const auto up = pattern(1 << 20, 4), down = pattern(1 << 20, 5);
  std::vector<uint8_t> server_got(up.size()), client_got(down.size());
  error_code server_ec, client_ec;
  auto serve = [&]() -> asio::awaitable<void> {
    auto& s = *link.server;
    co_await s.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, server_ec));
    if (server_ec) co_return;
    co_await asio::async_read(s, asio::buffer(server_got), asio::redirect_error(asio::use_awaitable, server_ec));
    if (server_ec) co_return;
    co_await asio::async_write(s, asio::buffer(down), asio::redirect_error(asio::use_awaitable, server_ec));
  };
  auto talk = [&]() -> asio::awaitable<void> {
    auto& c = *link.client;
    co_await c.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, client_ec));
    if (client_ec) co_return;
    co_await asio::async_write(c, asio::buffer(up), asio::redirect_error(asio::use_awaitable, client_ec));
    if (client_ec) co_return;
    co_await asio::async_read(c, asio::buffer(client_got), asio::redirect_error(asio::use_awaitable, client_ec));
  };
  asio::co_spawn(link.io, serve(), asio::detached);
  asio::co_spawn(link.io, talk(), asio::detached);
  link.io.run();
  EXPECT_FALSE(server_ec) << server_ec.message();
  EXPECT_FALSE(client_ec) << client_ec.message();
  EXPECT_EQ(SSL_get_verify_result(link.client->native_handle()), X509_V_OK);
  EXPECT_TRUE(server_got == up);
  EXPECT_TRUE(client_got == down);
}

TEST(TlsRecordStream, AsAClientItRefusesACertificateForAnotherName) {
  ClientLink link("elsewhere.example");
  error_code server_ec, client_ec;
  link.server->async_handshake(ssl::stream_base::server, [&](error_code ec) { server_ec = ec; });
  link.client->async_handshake(ssl::stream_base::client, [&](error_code ec) { client_ec = ec; });
  link.io.run();
  ASSERT_TRUE(client_ec);
  EXPECT_EQ(client_ec.category(), asio::error::get_ssl_category()) << client_ec.message();
  EXPECT_EQ(SSL_get_verify_result(link.client->native_handle()), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_TRUE(server_ec) << "the server hears the client's alert";
}

TEST(TlsRecordStream, EmptyReadsAndWritesAnswerAfterTheirCallWithNothing) {
  Link link;
  ASSERT_TRUE(link.handshake());
  bool in_call = true;
  int answered = 0;
  link.server->async_read_some(asio::mutable_buffer(), [&](error_code ec, size_t n) {
    EXPECT_FALSE(in_call);
    EXPECT_FALSE(ec);
    EXPECT_EQ(n, 0u);
    ++answered;
  });
  link.server->async_write_some(asio::const_buffer(), [&](error_code ec, size_t n) {
    EXPECT_FALSE(in_call);
    EXPECT_FALSE(ec);
    EXPECT_EQ(n, 0u);
    ++answered;
  });
  in_call = false;
  link.io.run();
  EXPECT_EQ(answered, 2);
}

}  // namespace
}  // namespace haul::gateway
