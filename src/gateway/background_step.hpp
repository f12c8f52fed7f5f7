#pragma once
// One blocking step (Exchange::blocking) run beside the coroutine that
// started it, so a transfer's two halves overlap: the socket read of an
// upload's next piece while the pool seals the last one, the decryption of a
// download's next piece while the last one is written to the socket.
//
// Why: done one after the other, the gateway's I/O thread and its pool took
// turns, each idle while the other worked. A 1 GiB PUT on loopback took 1.41x
// `dd conv=fsync` of the same bytes, 1.17x side by side; a GET 0.81 s, 0.75 s
// side by side (docs/benchmarks.md, "Re-measured beside dd conv=fsync").
//
// Rules: at most one step at a time (start() only after wait()), and wait()
// before leaving the scope of anything the step uses, on every path,
// exceptions included (a step still running would use freed memory).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <functional>
#include <memory>

#include "gateway/exchange.hpp"

namespace haul::gateway {

class BackgroundStep {
 public:
  // fn runs on the blocking pool; the step ends on the caller's executor.
  static asio::awaitable<BackgroundStep> make() { co_return BackgroundStep(co_await asio::this_coro::executor); }

  void start(Exchange& ex, std::function<void()> fn) {
    state_->running = true;
    asio::co_spawn(state_->signal.get_executor(), ex.blocking(std::move(fn)),
                   [state = state_](std::exception_ptr error) {
                     state->running = false;
                     state->error = error;
                     state->signal.cancel();
                   });
  }

  // True from start() until the step's end reached the caller's executor.
  bool running() const { return state_->running; }

  // Returns when no step runs; rethrows the finished step's exception once.
  asio::awaitable<void> wait() {
    while (state_->running) {
      state_->signal.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await state_->signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (auto error = std::exchange(state_->error, nullptr)) std::rethrow_exception(error);
  }

  // wait() that keeps the step's exception to itself: for the unwinding
  // path, where another exception is already on its way.
  asio::awaitable<void> settle() {
    try {
      co_await wait();
    } catch (...) {  // NOLINT(bugprone-empty-catch): the caller's failure is the one to report
    }
  }

 private:
  struct State {
    explicit State(asio::any_io_executor executor) : signal(std::move(executor)) {}
    bool running = false;
    std::exception_ptr error;
    asio::steady_timer signal;  // cancelled when the step ends
  };
  explicit BackgroundStep(asio::any_io_executor executor) : state_(std::make_shared<State>(std::move(executor))) {}
  std::shared_ptr<State> state_;
};

}  // namespace haul::gateway
