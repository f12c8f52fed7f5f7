#pragma once
// A gateway without sockets for component tests (tests only): a context
// over memory stores, requests as fake exchanges, and serve_request run to
// its end on a single-threaded io_context in the calling thread.

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/stream_format.hpp"
#include "gateway/context.hpp"
#include "gateway/serve.hpp"
#include "gateway/testing/fake_exchange.hpp"
#include "gateway/testing/memory_store.hpp"

namespace haul::gateway::testing {

// The segment size the handlers seal new objects with.
inline constexpr uint64_t kSeg = crypto::kDefaultSegmentSize;

// A JSON answer's body, parsed.
inline nlohmann::json json_of(const FakeExchange& ex) {
  return nlohmann::json::parse(ex.body_text());
}

// Runs a coroutine to its end and returns its value (or rethrows).
template <class T>
T run_to_end(asio::awaitable<T> task) {
  asio::io_context io;
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

void run_to_end(asio::awaitable<void> task);

class TestGateway {
 public:
  static constexpr const char* kToken = "component-test-token";

  // One memory store per name; the first is the default. config may set
  // anything but the stores.
  explicit TestGateway(std::vector<std::string> store_names = {"default"}, GatewayConfig config = {});

  GatewayContext& ctx() { return *ctx_; }
  MemoryStore& store(const std::string& name = "default");

  // A request carrying the token (Authorization: Bearer kToken).
  static FakeRequest request(std::string method, std::string target, std::vector<uint8_t> body = {});
  // Parses the target, serves the request through serve_request (admission,
  // handler, error answer or cut), returns how it ended.
  Served serve(FakeExchange& ex);
  // request() + serve() in one: the finished exchange.
  std::unique_ptr<FakeExchange> call(FakeRequest request);
  std::unique_ptr<FakeExchange> call(std::string method, std::string target, std::vector<uint8_t> body = {});

 private:
  std::unique_ptr<GatewayContext> ctx_;
  uint64_t connection_ = 0;
};

std::vector<uint8_t> bytes_of(std::string_view text);

}  // namespace haul::gateway::testing
