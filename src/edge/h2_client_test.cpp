// The edge's HTTP/2 client session back to back with the gateway's server
// session: no sockets, bytes handed from one to the other.
#include "edge/h2_client.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "gateway/h2_server.hpp"

namespace haul::edge::h2 {
namespace {

namespace srv = gateway::h2;

std::vector<uint8_t> random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// The gateway side: records requests and bodies, answers what the test says.
struct Server : srv::H2Events {
  srv::H2ServerSession* session = nullptr;
  struct Req {
    srv::H2Request head;
    std::vector<uint8_t> body;
    bool ended = false;
    bool closed = false;
    uint32_t code = 0;
  };
  std::map<int32_t, Req> requests;
  void on_request(srv::H2Request request) override {
    const int32_t id = request.stream;
    requests[id].ended = request.end_stream;
    requests[id].head = std::move(request);
  }
  void on_body(int32_t stream, std::span<const uint8_t> bytes) override {
    auto& r = requests[stream];
    r.body.insert(r.body.end(), bytes.begin(), bytes.end());
    session->consume(stream, bytes.size());
  }
  void on_body_end(int32_t stream) override { requests[stream].ended = true; }
  void on_stream_closed(int32_t stream, uint32_t code) override {
    requests[stream].closed = true;
    requests[stream].code = code;
  }
  void on_body_sent(int32_t) override {}
  void on_response_sent(int32_t) override {}
  void answer(int32_t stream, int status, const std::vector<uint8_t>& body) {
    session->respond(stream, status, {{"content-length", std::to_string(body.size())}}, !body.empty());
    if (body.empty()) return;
    session->queue_body(stream, body);
    session->end_body(stream);
  }
};

// The edge side: collects responses; consumes what arrives unless told not to.
struct Client : H2ClientEvents {
  H2ClientSession* session = nullptr;
  struct Resp {
    int status = 0;
    HeaderList fields;
    std::vector<uint8_t> body;
    size_t unconsumed = 0;
    bool ended = false;
    bool closed = false;
    uint32_t code = 0;
  };
  std::map<int32_t, Resp> responses;
  std::set<int32_t> stalled;  // streams whose local reader takes nothing
  bool goaway = false;
  void on_response(int32_t stream, int status, HeaderList fields) override {
    responses[stream].status = status;
    responses[stream].fields = std::move(fields);
  }
  void on_data(int32_t stream, std::span<const uint8_t> bytes) override {
    auto& r = responses[stream];
    r.body.insert(r.body.end(), bytes.begin(), bytes.end());
    if (stalled.count(stream) != 0) {
      r.unconsumed += bytes.size();
    } else {
      session->consume(stream, bytes.size());
    }
  }
  void on_response_end(int32_t stream) override { responses[stream].ended = true; }
  void on_stream_closed(int32_t stream, uint32_t code) override {
    responses[stream].closed = true;
    responses[stream].code = code;
  }
  void on_body_sent(int32_t) override {}
  void on_goaway(int32_t, uint32_t) override { goaway = true; }
};

struct Pair : ::testing::Test {
  Server server_events;
  Client client_events;
  srv::H2Limits server_limits;
  H2ClientLimits client_limits;
  std::unique_ptr<srv::H2ServerSession> server;
  std::unique_ptr<H2ClientSession> client;

  void open() {
    server = std::make_unique<srv::H2ServerSession>(server_limits, server_events);
    client = std::make_unique<H2ClientSession>(client_limits, client_events);
    server_events.session = server.get();
    client_events.session = client.get();
  }
  // Moves bytes both ways until neither side has anything to send; with
  // `split`, hands them over in 1-byte to 7-byte steps.
  void pump(bool split = false) {
    for (int round = 0; round < 100000; ++round) {
      std::vector<uint8_t> out;
      client->take_output(out, 1u << 20);
      feed_server(out, split);
      std::vector<uint8_t> back;
      server->take_output(back, 1u << 20);
      feed_client(back, split);
      if (out.empty() && back.empty()) return;
    }
    FAIL() << "no quiet after 100000 rounds";
  }
  void feed_server(const std::vector<uint8_t>& bytes, bool split) {
    for (size_t at = 0; at < bytes.size();) {
      const size_t n = split ? std::min<size_t>(1 + at % 7, bytes.size() - at) : bytes.size();
      ASSERT_TRUE(server->receive(std::span<const uint8_t>(bytes.data() + at, n)));
      at += n;
    }
  }
  void feed_client(const std::vector<uint8_t>& bytes, bool split) {
    for (size_t at = 0; at < bytes.size();) {
      const size_t n = split ? std::min<size_t>(1 + at % 7, bytes.size() - at) : bytes.size();
      ASSERT_TRUE(client->receive(std::span<const uint8_t>(bytes.data() + at, n)));
      at += n;
    }
  }
  static H2RequestHead head(std::string method, std::string path) {
    return {std::move(method), "https", "gw.example:8443", std::move(path), {{"authorization", "Bearer t"}}};
  }
  // Queues `body` in pieces, never more than `limit` waiting, pumping between.
  void upload(int32_t stream, const std::vector<uint8_t>& body, size_t piece = 64 * 1024, size_t limit = 256 * 1024) {
    for (size_t at = 0; at < body.size();) {
      if (client->queued(stream) < limit) {
        const size_t n = std::min(piece, body.size() - at);
        client->queue_body(stream, std::span<const uint8_t>(body.data() + at, n));
        at += n;
      }
      pump();
    }
    client->end_body(stream);
    pump();
  }
};

TEST_F(Pair, RoundTripWithBodiesOfSeveralMebibytes) {
  open();
  const auto up = random_bytes((5u << 20) + 3, 1);
  auto h = head("PUT", "/v1/objects/a");
  h.fields.emplace_back("Content-Length", std::to_string(up.size()));
  h.fields.emplace_back("Connection", "keep-alive");  // dropped: not HTTP/2
  h.fields.emplace_back("Host", "other");             // :authority carries it
  const int32_t id = client->submit(h, true);
  ASSERT_GT(id, 0);
  upload(id, up);
  const auto& req = server_events.requests[id];
  EXPECT_EQ(req.head.method, "PUT");
  EXPECT_EQ(req.head.path, "/v1/objects/a");
  EXPECT_EQ(req.head.authority, "gw.example:8443");
  EXPECT_TRUE(req.ended);
  EXPECT_TRUE(req.body == up);
  for (const auto& [name, value] : req.head.fields) {
    EXPECT_NE(name, "connection");
    if (name == "host") {
      EXPECT_EQ(value, "gw.example:8443");
    }
  }
  const auto down = random_bytes((7u << 20) + 11, 2);
  server_events.answer(id, 200, down);
  pump();
  const auto& resp = client_events.responses[id];
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(resp.ended);
  EXPECT_TRUE(resp.closed);
  EXPECT_EQ(resp.code, kNoError);
  EXPECT_TRUE(resp.body == down);
  EXPECT_EQ(client->open_streams(), 0u);
}

TEST_F(Pair, BytesSplitAtEveryFewBytes) {
  open();
  const int32_t id = client->submit(head("GET", "/x"), false);
  pump(true);
  server_events.answer(id, 404, random_bytes(100000, 3));
  pump(true);
  EXPECT_EQ(client_events.responses[id].status, 404);
  EXPECT_EQ(client_events.responses[id].body.size(), 100000u);
  EXPECT_TRUE(client_events.responses[id].ended);
}

TEST_F(Pair, ManyConcurrentStreams) {
  open();
  pump();  // SETTINGS both ways
  std::vector<int32_t> ids;
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(client->can_submit());
    ids.push_back(client->submit(head("GET", "/o/" + std::to_string(i)), false));
  }
  pump();
  EXPECT_EQ(client->open_streams(), 80u);
  for (size_t i = 0; i < ids.size(); ++i) server_events.answer(ids[i], 200, random_bytes(100 * 1024 + i, 10 + i));
  pump();
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& r = client_events.responses[ids[i]];
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.body == random_bytes(100 * 1024 + i, 10 + i));
    EXPECT_TRUE(r.ended);
  }
  EXPECT_EQ(client->open_streams(), 0u);
}

TEST_F(Pair, OurStreamLimitAndTheGatewaysBoundSubmits) {
  client_limits.max_concurrent_streams = 3;
  server_limits.max_concurrent_streams = 2;
  open();
  pump();
  EXPECT_EQ(client->max_streams(), 2u);
  EXPECT_GT(client->submit(head("GET", "/a"), false), 0);
  EXPECT_GT(client->submit(head("GET", "/b"), false), 0);
  EXPECT_FALSE(client->can_submit());
  EXPECT_LT(client->submit(head("GET", "/c"), false), 0);
}

TEST_F(Pair, AStalledReaderDoesNotStopTheOtherStreams) {
  client_limits.stream_window = 1u << 20;
  client_limits.connection_window = 2u << 20;  // smaller than what the stalled stream is sent
  open();
  pump();
  const int32_t stalled = client->submit(head("GET", "/big"), false);
  const int32_t other = client->submit(head("GET", "/other"), false);
  client_events.stalled.insert(stalled);
  pump();
  // The gateway queues far more than the windows for both.
  const auto big = random_bytes(6u << 20, 4);
  server_events.answer(stalled, 200, big);
  const auto other_body = random_bytes(6u << 20, 5);
  server_events.answer(other, 200, other_body);
  pump();
  const auto& s = client_events.responses[stalled];
  const auto& o = client_events.responses[other];
  EXPECT_TRUE(o.ended);
  EXPECT_TRUE(o.body == other_body);
  // The stalled stream holds at most its window.
  EXPECT_FALSE(s.ended);
  EXPECT_LE(s.unconsumed, size_t{1} << 20);
  EXPECT_GT(s.unconsumed, 0u);
  // The reader comes back: the rest follows as it consumes.
  client_events.stalled.clear();
  for (int i = 0; i < 100 && !client_events.responses[stalled].ended; ++i) {
    client->consume(stalled, client_events.responses[stalled].unconsumed);
    client_events.responses[stalled].unconsumed = 0;
    pump();
  }
  EXPECT_TRUE(client_events.responses[stalled].body == big);
}

TEST_F(Pair, ClientResetMidUploadReachesTheGateway) {
  open();
  auto h = head("PUT", "/v1/objects/cut");
  h.fields.emplace_back("content-length", "1000000");
  const int32_t id = client->submit(h, true);
  const auto part = random_bytes(300000, 6);
  client->queue_body(id, part);
  pump();
  EXPECT_EQ(server_events.requests[id].body.size(), part.size());
  client->reset(id, kCancel);
  pump();
  EXPECT_TRUE(server_events.requests[id].closed);
  EXPECT_EQ(server_events.requests[id].code, kCancel);
  EXPECT_FALSE(server_events.requests[id].ended);
  EXPECT_TRUE(client_events.responses[id].closed);
  EXPECT_EQ(client->open_streams(), 0u);
}

TEST_F(Pair, GatewayResetIsReported) {
  open();
  const int32_t id = client->submit(head("GET", "/x"), false);
  pump();
  server->respond(id, 200, {{"content-length", "100"}}, true);
  server->queue_body(id, random_bytes(40, 7));
  pump();
  server->reset(id, 0x2);
  pump();
  const auto& r = client_events.responses[id];
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 40u);
  EXPECT_FALSE(r.ended);
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.code, kInternalError);
}

TEST_F(Pair, GoawayLetsStreamsInProgressFinishAndStartsNoMore) {
  open();
  const int32_t id = client->submit(head("GET", "/x"), false);
  pump();
  server->shut_down();
  pump();
  EXPECT_TRUE(client_events.goaway);
  EXPECT_TRUE(client->goaway());
  EXPECT_FALSE(client->can_submit());
  EXPECT_LT(client->submit(head("GET", "/y"), false), 0);
  server_events.answer(id, 200, random_bytes(1000, 8));
  pump();
  EXPECT_TRUE(client_events.responses[id].ended);
  EXPECT_EQ(client_events.responses[id].body.size(), 1000u);
}

TEST_F(Pair, RefusedStreamIsReportedAsRefused) {
  server_limits.max_concurrent_streams = 1;
  open();
  // Both go before the gateway's SETTINGS arrive: the second is over its limit.
  const int32_t first = client->submit(head("GET", "/a"), false);
  const int32_t second = client->submit(head("GET", "/b"), false);
  pump();
  EXPECT_TRUE(client_events.responses[second].closed);
  EXPECT_EQ(client_events.responses[second].code, kRefusedStream);
  EXPECT_FALSE(client_events.responses[first].closed);
  EXPECT_EQ(client->max_streams(), 1u);
}

TEST_F(Pair, APingIsAnsweredByTheGatewaysSession) {
  open();
  pump();
  EXPECT_EQ(client->pings_acked(), 0u);
  client->ping();
  std::vector<uint8_t> out;
  client->take_output(out, 1u << 20);
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(client->pings_acked(), 0u);  // not before the answer came back
  feed_server(out, false);
  pump();
  EXPECT_EQ(client->pings_acked(), 1u);
  // While a stream waits for an answer the handler has not given, too.
  const int32_t id = client->submit(head("GET", "/slow"), false);
  client->ping();
  pump();
  EXPECT_EQ(client->pings_acked(), 2u);
  EXPECT_EQ(client_events.responses[id].status, 0);
}

TEST_F(Pair, GarbageFromThePeerEndsTheSession) {
  open();
  std::vector<uint8_t> out;
  client->take_output(out, 1u << 20);
  const std::string junk = "HTTP/1.1 200 OK\r\n\r\n";
  EXPECT_FALSE(client->receive(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(junk.data()), junk.size())));
  EXPECT_FALSE(client->can_submit());
}

}  // namespace
}  // namespace haul::edge::h2
