#pragma once
// Runs a short blocking step (a chunk into or out of the store, a commit, a
// list page) on the blocking pool; the awaiting coroutine resumes on its own
// executor (its connection's strand). Every Exchange's blocking() is this.

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/error.hpp"

namespace haul::gateway {

namespace blocking_detail {

// What a step threw, carried back as plain strings and rethrown on the
// awaiting side. Not as an exception_ptr (or a copy of the exception): both
// share memory through libstdc++'s atomic reference counts, which
// ThreadSanitizer cannot see (libstdc++ is not instrumented), so the pool
// thread freeing it after the coroutine's thread read it was reported as a
// data race (CI, test_flipped_byte_fails_visibly). std::string copies share
// nothing.
struct StepFailure {
  bool is_error = false;  // a haul::Error: kind and messages kept
  ErrorKind kind = ErrorKind::internal;
  std::string public_message;
  std::string detail;  // Error's private detail, or any other exception's what()
};

// A plain coroutine, not a capturing lambda: g++ 12 destroys the captures
// of a lambda coroutine handed to co_spawn twice (seen under valgrind).
inline boost::asio::awaitable<std::optional<StepFailure>> call(std::function<void()> fn) {
  std::optional<StepFailure> failure;
  try {
    fn();
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string_view shown = e.public_message();
    failure = StepFailure{true, e.kind(), std::string(shown),
                          what.size() > shown.size() + 2 ? what.substr(shown.size() + 2) : std::string()};
  } catch (const std::exception& e) {
    failure = StepFailure{false, ErrorKind::internal, {}, std::string(e.what())};
  }
  co_return failure;
}

}  // namespace blocking_detail

inline boost::asio::awaitable<void> run_blocking(boost::asio::thread_pool& pool, std::function<void()> fn) {
  auto failure = co_await boost::asio::co_spawn(pool, blocking_detail::call(std::move(fn)), boost::asio::use_awaitable);
  if (!failure) co_return;
  if (failure->is_error) throw Error(failure->kind, failure->public_message, failure->detail);
  throw std::runtime_error(failure->detail);
}

}  // namespace haul::gateway
