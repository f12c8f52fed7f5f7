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

namespace haul::gateway {

namespace blocking_detail {
// A plain coroutine, not a capturing lambda: g++ 12 destroys the captures
// of a lambda coroutine handed to co_spawn twice (seen under valgrind).
inline boost::asio::awaitable<void> call(std::function<void()> fn) {
  fn();
  co_return;
}
}  // namespace blocking_detail

inline boost::asio::awaitable<void> run_blocking(boost::asio::thread_pool& pool, std::function<void()> fn) {
  co_await boost::asio::co_spawn(pool, blocking_detail::call(std::move(fn)), boost::asio::use_awaitable);
}

}  // namespace haul::gateway
