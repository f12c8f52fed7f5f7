// Untrusted bytes into the HTTP/2 server session: whatever a peer sends
// (prefaces, frames, HPACK blocks), the session answers requests as the
// gateway would and never crashes. The input starts after a valid preface
// half the time, so the fuzzer reaches the frame layer quickly.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "gateway/h2_server.hpp"

namespace {

using namespace haul::gateway::h2;

struct Answering : H2Events {
  H2ServerSession* server = nullptr;
  std::vector<int32_t> to_answer;
  void on_request(H2Request r) override { to_answer.push_back(r.stream); }
  void on_body(int32_t stream, std::span<const uint8_t> bytes) override { server->consume(stream, bytes.size()); }
  void on_body_end(int32_t) override {}
  void on_stream_closed(int32_t, uint32_t) override {}
  void on_body_sent(int32_t) override {}
  void on_response_sent(int32_t) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Answering events;
  H2Limits limits;
  limits.stream_window = 65535;
  limits.connection_window = 65535;
  H2ServerSession server(limits, events);
  events.server = &server;
  std::vector<uint8_t> input;
  if (size > 0 && (data[0] & 1) != 0) {
    constexpr std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    input.assign(preface.begin(), preface.end());
    ++data;
    --size;
  }
  input.insert(input.end(), data, data + size);
  // In a few pieces, as a socket would deliver them.
  std::vector<uint8_t> out;
  for (size_t offset = 0; offset < input.size();) {
    const size_t n = std::min<size_t>(input.size() - offset, 1 + (input[offset] % 97));
    if (!server.receive(std::span<const uint8_t>(input.data() + offset, n))) break;
    offset += n;
    for (int32_t stream : events.to_answer) {
      server.respond(stream, 200, {{"content-type", "text/plain"}}, true);
      static const uint8_t body[] = "ok";
      server.queue_body(stream, body);
      server.end_body(stream);
    }
    events.to_answer.clear();
    out.clear();
    server.take_output(out, 1 << 20);
  }
  out.clear();
  server.take_output(out, 1 << 20);
  return 0;
}
