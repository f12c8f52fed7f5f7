// RecordEngine without sockets: a client and a server engine wired back to
// back, bytes moved between their queues by hand.
#include "tls/record_engine.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/test_pattern.hpp"
#include "tls/test_support.hpp"

namespace haul::tls {
namespace {

using Status = RecordEngine::Status;

// One side's output into the other's input.
void carry(RecordEngine& from, RecordEngine& to) {
  std::vector<uint8_t> bytes;
  from.take_output(bytes);
  auto space = to.input_space(bytes.size());
  if (!bytes.empty()) std::memcpy(space.data(), bytes.data(), bytes.size());
  to.input_added(bytes.size());
}

std::vector<uint8_t> pattern(size_t size) {
  return haul::testing::pattern<std::vector<uint8_t>>(size, 13);
}

struct Pair {
  Pair() : files(testing::make_files("engine")) {
    server_ctx = make_server_context(files.server_files(), std::make_shared<TicketKeys>(), {"http/1.1"});
    client_ctx = SSL_CTX_new(TLS_client_method());
    server = std::make_unique<RecordEngine>(server_ctx.ctx.get(), RecordEngine::Role::server);
    client = std::make_unique<RecordEngine>(client_ctx, RecordEngine::Role::client);
  }
  ~Pair() {
    client.reset();
    SSL_CTX_free(client_ctx);
    std::filesystem::remove_all(files.dir);
  }

  // Both handshakes to the end; the client takes the tickets.
  void handshake() {
    bool client_done = false, server_done = false;
    for (int round = 0; round < 10 && !(client_done && server_done); ++round) {
      if (!client_done) {
        auto r = client->handshake();
        ASSERT_NE(r.status, Status::failed);
        client_done = r.status == Status::done;
      }
      carry(*client, *server);
      if (!server_done) {
        auto r = server->handshake();
        ASSERT_NE(r.status, Status::failed);
        server_done = r.status == Status::done;
      }
      carry(*server, *client);
    }
    ASSERT_TRUE(client_done && server_done);
  }

  testing::Files files;
  ServerContext server_ctx;
  SSL_CTX* client_ctx = nullptr;
  std::unique_ptr<RecordEngine> server, client;
};

TEST(RecordEngine, HandshakeEndsWithTheTicketsInTheServersOutput) {
  Pair p;
  bool client_done = false;
  for (int round = 0; round < 10 && !client_done; ++round) {
    client_done = p.client->handshake().status == Status::done;
    carry(*p.client, *p.server);
    if (p.server->handshake().status == Status::done) {
      // The server's last step wrote its session tickets: nothing is left
      // for a later write to carry.
      EXPECT_TRUE(p.server->has_output());
    }
    carry(*p.server, *p.client);
  }
  ASSERT_TRUE(client_done);
  uint8_t byte = 0;
  EXPECT_EQ(p.client->read({&byte, 1}).status, Status::want_input);  // tickets taken, no data
  EXPECT_EQ(SSL_version(p.server->ssl()), TLS1_3_VERSION);
}

TEST(RecordEngine, OneWriteBecomesRecordsInOneOutputAndOneReadTakesThemAll) {
  Pair p;
  p.handshake();
  const auto body = pattern(1 << 20);
  auto w = p.server->write(body);
  ASSERT_EQ(w.status, Status::done);
  EXPECT_EQ(w.bytes, body.size());
  std::vector<uint8_t> records;
  p.server->take_output(records);
  // 64 records of 16 KiB: each adds a 5-byte header, the content type and a
  // 16-byte tag.
  EXPECT_EQ(records.size(), body.size() + 64 * 22);
  EXPECT_FALSE(p.server->has_output());

  auto space = p.client->input_space(records.size());
  std::memcpy(space.data(), records.data(), records.size());
  p.client->input_added(records.size());
  std::vector<uint8_t> got(body.size() + 100);
  auto r = p.client->read(got);
  ASSERT_EQ(r.status, Status::done);
  ASSERT_EQ(r.bytes, body.size());
  got.resize(r.bytes);
  EXPECT_EQ(got, body);
  EXPECT_TRUE(p.client->input_empty());
}

TEST(RecordEngine, AReadStopsAtTheLastWholeRecordAndGoesOnWhenTheRestArrives) {
  Pair p;
  p.handshake();
  const auto body = pattern(40000);  // records of 16384, 16384, 7232
  ASSERT_EQ(p.server->write(body).status, Status::done);
  std::vector<uint8_t> records;
  p.server->take_output(records);
  const size_t first_part = 16384 + 22 + 100;  // one record and a little of the next
  auto space = p.client->input_space(first_part);
  std::memcpy(space.data(), records.data(), first_part);
  p.client->input_added(first_part);

  std::vector<uint8_t> got(body.size());
  auto r = p.client->read(got);
  ASSERT_EQ(r.status, Status::done);
  EXPECT_EQ(r.bytes, 16384u);
  // Keeping the partial record's bytes through a release.
  p.client->release_buffers();
  EXPECT_EQ(p.client->read(std::span(got).subspan(r.bytes)).status, Status::want_input);

  const size_t rest = records.size() - first_part;
  space = p.client->input_space(rest);
  std::memcpy(space.data(), records.data() + first_part, rest);
  p.client->input_added(rest);
  auto r2 = p.client->read(std::span(got).subspan(r.bytes));
  ASSERT_EQ(r2.status, Status::done);
  EXPECT_EQ(r.bytes + r2.bytes, body.size());
  EXPECT_EQ(got, body);
}

TEST(RecordEngine, ASmallReadLeavesTheRestOfARecordForTheNext) {
  Pair p;
  p.handshake();
  const auto body = pattern(1000);
  ASSERT_EQ(p.server->write(body).status, Status::done);
  carry(*p.server, *p.client);
  std::vector<uint8_t> got;
  uint8_t piece[300];
  for (int i = 0; i < 10 && got.size() < body.size(); ++i) {
    auto r = p.client->read(piece);
    ASSERT_EQ(r.status, Status::done);
    got.insert(got.end(), piece, piece + r.bytes);
  }
  EXPECT_EQ(got, body);
}

// Records cut anywhere on the way (a socket read ends wherever it ends) and
// read into buffers of any size: the plaintext arrives whole and in order.
TEST(RecordEngine, RecordsSplitAtRandomPointsReadBackWhole) {
  Pair p;
  p.handshake();
  std::mt19937 random(20261207);
  std::vector<uint8_t> sent, got;
  std::vector<uint8_t> wire;
  for (int round = 0; round < 40; ++round) {
    const auto piece = pattern(1 + random() % 70000);
    ASSERT_EQ(p.server->write(piece).status, Status::done);
    sent.insert(sent.end(), piece.begin(), piece.end());
    std::vector<uint8_t> records;
    p.server->take_output(records);
    wire.insert(wire.end(), records.begin(), records.end());
    // Hand over a random prefix of what is on the wire, then read with a
    // random buffer until the engine wants more.
    const size_t give = wire.empty() ? 0 : random() % (wire.size() + 1);
    auto space = p.client->input_space(give);
    if (give) std::memcpy(space.data(), wire.data(), give);
    p.client->input_added(give);
    wire.erase(wire.begin(), wire.begin() + static_cast<ptrdiff_t>(give));
    if (round % 7 == 0) p.client->release_buffers();
    // Sometimes stop while whole records still wait in the input (a full
    // caller's buffer does that), so the next bytes land behind them.
    for (;;) {
      std::vector<uint8_t> buffer(1 + random() % 40000);
      auto r = p.client->read(buffer);
      if (r.status == Status::want_input) break;
      ASSERT_EQ(r.status, Status::done);
      got.insert(got.end(), buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(r.bytes));
      if (random() % 3 == 0) break;
    }
  }
  auto space = p.client->input_space(wire.size());
  std::memcpy(space.data(), wire.data(), wire.size());
  p.client->input_added(wire.size());
  std::vector<uint8_t> buffer(1 << 20);
  while (got.size() < sent.size()) {
    auto r = p.client->read(buffer);
    ASSERT_EQ(r.status, Status::done);
    got.insert(got.end(), buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(r.bytes));
  }
  EXPECT_TRUE(got == sent) << got.size() << " of " << sent.size() << " bytes";
  EXPECT_TRUE(p.client->input_empty());
}

TEST(RecordEngine, CloseNotifyReadsAsClosed) {
  Pair p;
  p.handshake();
  ASSERT_EQ(p.server->write(pattern(10)).status, Status::done);
  ASSERT_EQ(p.server->shutdown().status, Status::done);
  carry(*p.server, *p.client);
  uint8_t buffer[64];
  auto r = p.client->read(buffer);  // the data first
  ASSERT_EQ(r.status, Status::done);
  EXPECT_EQ(r.bytes, 10u);
  EXPECT_EQ(p.client->read(buffer).status, Status::closed);
  EXPECT_TRUE(SSL_get_shutdown(p.client->ssl()) & SSL_RECEIVED_SHUTDOWN);
}

TEST(RecordEngine, PlainHttpInsteadOfAClientHelloFailsWithOpenSslsReason) {
  Pair p;
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  auto space = p.server->input_space(request.size());
  std::memcpy(space.data(), request.data(), request.size());
  p.server->input_added(request.size());
  auto r = p.server->handshake();
  ASSERT_EQ(r.status, Status::failed);
  EXPECT_EQ(ERR_GET_REASON(r.error), SSL_R_HTTP_REQUEST);
  EXPECT_EQ(ERR_peek_error(), 0u) << "the error queue is left empty";
}

TEST(RecordEngine, AKeyUpdateRequestIsAnsweredWithTheNextWrite) {
  Pair p;
  p.handshake();
  ASSERT_EQ(SSL_key_update(p.client->ssl(), SSL_KEY_UPDATE_REQUESTED), 1);
  ASSERT_EQ(p.client->write(pattern(100)).status, Status::done);
  carry(*p.client, *p.server);
  std::vector<uint8_t> got(200);
  auto r = p.server->read(got);
  ASSERT_EQ(r.status, Status::done);
  EXPECT_EQ(r.bytes, 100u);
  // OpenSSL sends its own KeyUpdate ahead of the next write's records, not
  // from the read: a read that produced nothing for the peer.
  EXPECT_FALSE(p.server->has_output());
  // Data the server writes after it is readable with the client's new keys.
  ASSERT_EQ(p.server->write(pattern(50)).status, Status::done);
  carry(*p.server, *p.client);
  auto r2 = p.client->read(got);
  ASSERT_EQ(r2.status, Status::done);
  EXPECT_EQ(r2.bytes, 50u);
}

}  // namespace
}  // namespace haul::tls
