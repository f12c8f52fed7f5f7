#include "gateway/testing/harness.hpp"

#include "crypto/keyring.hpp"

namespace haul::gateway::testing {

void run_to_end(asio::awaitable<void> task) {
  asio::io_context io;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
}

TestGateway::TestGateway(std::vector<std::string> store_names, GatewayConfig config) {
  config.stores.clear();
  for (const auto& name : store_names) config.stores.push_back(NamedStore{name, "memory:", name});
  const uint32_t per_token = config.max_requests_per_token;
  ctx_ = std::unique_ptr<GatewayContext>(
      new GatewayContext{std::move(config),
                         crypto::Keyring::parse("3:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"),
                         TokenBook(TokenSet::parse(std::string(kToken) + "\n"), per_token),
                         {},
                         store_names.front(),
                         {},
                         {},
                         {},
                         {},
                         {},
                         {}});
  for (const auto& name : store_names) ctx_->stores.emplace(name, std::make_unique<MemoryStore>());
}

MemoryStore& TestGateway::store(const std::string& name) {
  return static_cast<MemoryStore&>(*ctx_->stores.at(name));
}

FakeRequest TestGateway::request(std::string method, std::string target, std::vector<uint8_t> body) {
  FakeRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers.emplace_back("Authorization", std::string("Bearer ") + kToken);
  return r;
}

Served TestGateway::serve(FakeExchange& ex) {
  const Route route = parse_route(ex.request().target);
  return run_to_end(serve_request(*ctx_, ex, route, ++connection_));
}

std::unique_ptr<FakeExchange> TestGateway::call(FakeRequest request) {
  auto ex = std::make_unique<FakeExchange>(std::move(request));
  serve(*ex);
  return ex;
}

std::unique_ptr<FakeExchange> TestGateway::call(std::string method, std::string target, std::vector<uint8_t> body) {
  return call(request(std::move(method), std::move(target), std::move(body)));
}

std::vector<uint8_t> bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

}  // namespace haul::gateway::testing
