// H2ServerSession against a real HTTP/2 client: nghttp2's client session,
// both sans-IO, bytes pumped between them in memory.
#include "gateway/h2_server.hpp"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace haul::gateway::h2 {
namespace {

// The server side's events, kept for the test to look at.
struct Recorder : H2Events {
  std::vector<H2Request> requests;
  std::map<int32_t, std::string> bodies;
  std::map<int32_t, bool> ended;
  std::map<int32_t, uint32_t> closed;
  std::vector<int32_t> sent;
  void on_request(H2Request r) override {
    if (r.end_stream) ended[r.stream] = true;
    requests.push_back(std::move(r));
  }
  void on_body(int32_t stream, std::span<const uint8_t> bytes) override {
    bodies[stream].append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void on_body_end(int32_t stream) override { ended[stream] = true; }
  void on_stream_closed(int32_t stream, uint32_t code) override { closed[stream] = code; }
  void on_body_sent(int32_t) override {}
  void on_response_sent(int32_t stream) override { sent.push_back(stream); }
};

// nghttp2's client, with what it received per stream.
class Client {
 public:
  Client() {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value,
               size_t valuelen, uint8_t, void* user) {
          auto& self = *static_cast<Client*>(user);
          if (std::string_view(reinterpret_cast<const char*>(name), namelen) == ":status") {
            self.status[frame->hd.stream_id] = std::stoi(std::string(reinterpret_cast<const char*>(value), valuelen));
          }
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cb, [](nghttp2_session*, uint8_t, int32_t stream, const uint8_t* data, size_t len, void* user) {
          static_cast<Client*>(user)->body[stream].append(reinterpret_cast<const char*>(data), len);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cb, [](nghttp2_session*, int32_t stream, uint32_t code, void* user) {
          static_cast<Client*>(user)->closed[stream] = code;
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
          if (frame->hd.type == NGHTTP2_GOAWAY) static_cast<Client*>(user)->goaway = frame->goaway.error_code;
          return 0;
        });
    nghttp2_session_client_new(&session, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Client() { nghttp2_session_del(session); }

  int32_t request(const std::string& method, const std::string& path, const std::string& payload = "",
                  std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> fields = {
        {":method", method}, {":scheme", "http"}, {":authority", "gw.example"}, {":path", path}};
    for (auto& f : extra) fields.push_back(std::move(f));
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()), n.size(), v.size(),
                     NGHTTP2_NV_FLAG_NONE});
    }
    if (payload.empty()) return nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), nullptr, nullptr);
    auto upload = std::make_unique<Upload>(Upload{payload, 0});
    nghttp2_data_provider provider{};
    provider.source.ptr = upload.get();
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                                nghttp2_data_source* source, void*) -> ssize_t {
      auto& u = *static_cast<Upload*>(source->ptr);
      const size_t n = std::min(length, u.bytes.size() - u.offset);
      std::copy_n(u.bytes.data() + u.offset, n, buf);
      u.offset += n;
      if (u.offset == u.bytes.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    const int32_t id = nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), &provider, nullptr);
    uploads.push_back(std::move(upload));
    return id;
  }

  struct Upload {
    std::string bytes;
    size_t offset;
  };
  nghttp2_session* session = nullptr;
  std::map<int32_t, int> status;
  std::map<int32_t, std::string> body;
  std::map<int32_t, uint32_t> closed;
  std::vector<std::unique_ptr<Upload>> uploads;
  int goaway = -1;
};

// Moves bytes both ways until neither side has anything to say. Returns
// false when the server ended the connection.
bool pump(Client& client, H2ServerSession& server) {
  bool alive = true;
  for (int round = 0; round < 1000; ++round) {
    bool moved = false;
    const uint8_t* data = nullptr;
    std::vector<uint8_t> to_server;
    for (ssize_t n; (n = nghttp2_session_mem_send(client.session, &data)) > 0;)
      to_server.insert(to_server.end(), data, data + n);
    if (!to_server.empty() && alive) {
      moved = true;
      alive = server.receive(to_server);
    }
    std::vector<uint8_t> to_client;
    server.take_output(to_client, 1u << 30);
    if (!to_client.empty()) {
      moved = true;
      nghttp2_session_mem_recv(client.session, to_client.data(), to_client.size());
    }
    if (!moved) break;
  }
  return alive;
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(H2Server, RequestHeaderArrivesAndResponseBodyReachesTheClient) {
  Recorder events;
  H2ServerSession server(H2Limits{}, events);
  Client client;
  const int32_t id = client.request("GET", "/v1/objects/a?x=1", "", {{"authorization", "Bearer t"}});
  ASSERT_TRUE(pump(client, server));
  ASSERT_EQ(events.requests.size(), 1u);
  const H2Request& r = events.requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/v1/objects/a?x=1");
  EXPECT_EQ(r.authority, "gw.example");
  EXPECT_TRUE(r.end_stream);
  // The authority is given as a host field (SigV4 signs "host").
  bool host = false, auth = false;
  for (const auto& [n, v] : r.fields) {
    host |= n == "host" && v == "gw.example";
    auth |= n == "authorization" && v == "Bearer t";
  }
  EXPECT_TRUE(host);
  EXPECT_TRUE(auth);

  // Mixed-case names are lowered; connection-specific fields dropped.
  server.respond(id, 200, {{"Content-Length", "11"}, {"Connection", "keep-alive"}, {"ETag", "\"e\""}}, true);
  server.queue_body(id, bytes_of("hello "));
  ASSERT_TRUE(pump(client, server));
  EXPECT_EQ(client.body[id], "hello ");
  EXPECT_EQ(client.closed.count(id), 0u);  // more to come
  server.queue_body(id, bytes_of("world"));
  server.end_body(id);
  ASSERT_TRUE(pump(client, server));
  EXPECT_EQ(client.status[id], 200);
  EXPECT_EQ(client.body[id], "hello world");
  EXPECT_EQ(client.closed[id], 0u);
  EXPECT_EQ(events.sent, std::vector<int32_t>{id});
  EXPECT_EQ(server.open_streams(), 0u);
}

TEST(H2Server, RequestBodyIsHeldToTheWindowUntilConsumed) {
  Recorder events;
  H2Limits limits;
  limits.stream_window = 65535;
  limits.connection_window = 65535;
  H2ServerSession server(limits, events);
  Client client;
  const std::string body(200 * 1024, 'b');
  const int32_t id = client.request("PUT", "/v1/objects/big", body, {{"content-length", std::to_string(body.size())}});
  ASSERT_TRUE(pump(client, server));
  // Nothing consumed: the client may send one window's worth, no more.
  EXPECT_EQ(events.bodies[id].size(), 65535u);
  EXPECT_FALSE(events.ended[id]);
  // Each consume reopens the window by that much, and the rest follows.
  size_t consumed = 0;
  for (int i = 0; i < 20 && !events.ended[id]; ++i) {
    const size_t arrived = events.bodies[id].size();
    server.consume(id, arrived - consumed);
    consumed = arrived;
    ASSERT_TRUE(pump(client, server));
  }
  // What arrived is what was sent, byte for byte (consumed as it came).
  EXPECT_TRUE(events.ended[id]);
  EXPECT_EQ(events.bodies[id], body);
}

TEST(H2Server, HeaderListOverTheLimitIsMarkedNotStored) {
  Recorder events;
  H2Limits limits;
  limits.header_list_limit = 2048;
  H2ServerSession server(limits, events);
  Client client;
  client.request("GET", "/v1/objects/a", "", {{"x-big", std::string(4000, 'x')}});
  ASSERT_TRUE(pump(client, server));
  ASSERT_EQ(events.requests.size(), 1u);
  EXPECT_TRUE(events.requests[0].header_too_large);
  for (const auto& [n, v] : events.requests[0].fields) EXPECT_NE(n, "x-big");
}

TEST(H2Server, RapidResetEndsTheConnectionWithGoaway) {
  Recorder events;
  H2Limits limits;
  limits.reset_burst = 20;
  limits.reset_rate = 1;
  H2ServerSession server(limits, events);
  Client client;
  bool alive = true;
  for (int i = 0; i < 60 && alive; ++i) {
    // HEADERS out first (nghttp2 drops a request reset before it is sent).
    const int32_t id = client.request("GET", "/v1/objects/a");
    const uint8_t* data = nullptr;
    std::vector<uint8_t> bytes;
    for (ssize_t n; (n = nghttp2_session_mem_send(client.session, &data)) > 0;)
      bytes.insert(bytes.end(), data, data + n);
    nghttp2_submit_rst_stream(client.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    for (ssize_t n; (n = nghttp2_session_mem_send(client.session, &data)) > 0;)
      bytes.insert(bytes.end(), data, data + n);
    alive = server.receive(bytes);
    if (alive) alive = pump(client, server);
  }
  std::vector<uint8_t> to_client;  // the GOAWAY
  server.take_output(to_client, 1u << 30);
  nghttp2_session_mem_recv(client.session, to_client.data(), to_client.size());
  EXPECT_FALSE(alive);
  EXPECT_EQ(server.abuse(), Abuse::rapid_reset);
  EXPECT_EQ(client.goaway, NGHTTP2_ENHANCE_YOUR_CALM);
}

TEST(H2Server, PingFloodEndsTheConnectionWithGoaway) {
  Recorder events;
  H2Limits limits;
  limits.control_burst = 50;
  limits.control_rate = 1;
  H2ServerSession server(limits, events);
  Client client;
  bool alive = true;
  for (int i = 0; i < 200 && alive; ++i) {
    nghttp2_submit_ping(client.session, NGHTTP2_FLAG_NONE, nullptr);
    alive = pump(client, server);
  }
  EXPECT_FALSE(alive);
  EXPECT_EQ(server.abuse(), Abuse::control_flood);
  EXPECT_EQ(client.goaway, NGHTTP2_ENHANCE_YOUR_CALM);
}

TEST(H2Server, GarbageInsteadOfThePrefaceIsRefused) {
  Recorder events;
  H2ServerSession server(H2Limits{}, events);
  EXPECT_FALSE(server.receive(bytes_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_NE(server.abuse(), Abuse::none);
  std::vector<uint8_t> out;
  server.take_output(out, 1 << 20);
  EXPECT_FALSE(out.empty());  // SETTINGS and GOAWAY
}

TEST(H2Server, ResetStreamIsReportedClosedWithItsCode) {
  Recorder events;
  H2ServerSession server(H2Limits{}, events);
  Client client;
  const int32_t id = client.request("PUT", "/v1/objects/a", std::string(1000, 'x'));
  ASSERT_TRUE(pump(client, server));
  nghttp2_submit_rst_stream(client.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  ASSERT_TRUE(pump(client, server));
  EXPECT_EQ(events.closed[id], static_cast<uint32_t>(NGHTTP2_CANCEL));
  // Bytes that arrive for it later are given back to the connection window
  // by the caller (consume on a closed stream is safe).
  server.consume(id, 1000);
}

}  // namespace
}  // namespace haul::gateway::h2
