// BackgroundStep (background_step.hpp): a blocking step that runs beside
// its coroutine, and whose failure reaches the coroutine at wait().
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "gateway/background_step.hpp"
#include "gateway/testing/harness.hpp"

namespace haul::gateway::testing {
namespace {

TEST(BackgroundStep, RunsBesideTheCoroutineAndEndsAtWait) {
  FakeExchange ex(TestGateway::request("GET", "/v1/objects/k"));
  std::vector<int> order;
  run_to_end([&]() -> asio::awaitable<void> {
    auto step = co_await BackgroundStep::make();
    co_await step.wait();  // nothing started: returns at once
    step.start(ex, [&] { order.push_back(2); });
    order.push_back(1);  // the coroutine goes on before the step has run
    co_await step.wait();
    order.push_back(3);
  }());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(BackgroundStep, AFailedStepThrowsAtWaitOnce) {
  FakeExchange ex(TestGateway::request("GET", "/v1/objects/k"));
  bool thrown = false;
  bool second_wait_clean = false;
  run_to_end([&]() -> asio::awaitable<void> {
    auto step = co_await BackgroundStep::make();
    step.start(ex, [] { throw Error(ErrorKind::integrity, "segment 3 failed authentication"); });
    try {
      co_await step.wait();
    } catch (const Error& e) {
      thrown = e.kind() == ErrorKind::integrity;
    }
    co_await step.wait();
    second_wait_clean = true;
  }());
  EXPECT_TRUE(thrown);
  EXPECT_TRUE(second_wait_clean);
}

TEST(BackgroundStep, SettleWaitsAndKeepsTheStepsFailureToItself) {
  FakeExchange ex(TestGateway::request("GET", "/v1/objects/k"));
  bool ran = false;
  run_to_end([&]() -> asio::awaitable<void> {
    auto step = co_await BackgroundStep::make();
    step.start(ex, [&] {
      ran = true;
      throw Error(ErrorKind::internal, "store write failed");
    });
    co_await step.settle();
  }());
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace haul::gateway::testing
