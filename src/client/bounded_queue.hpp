#pragma once
// A fixed-capacity FIFO for the single-threaded transfer loop. The producer
// (a lazy directory walk) pushes only while there is room, so pending work
// never grows past the capacity whatever the size of the tree: the seed's
// SFTP deadlock came from an unbounded pipeline.

#include <cassert>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

namespace haul::client {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) { assert(capacity > 0); }

  bool full() const { return items_.size() >= capacity_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }

  // False (and the item untouched) when full: the caller must stop producing.
  [[nodiscard]] bool try_push(T& item) {
    if (full()) return false;
    items_.push_back(std::move(item));
    return true;
  }

  std::optional<T> pop() {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  size_t capacity_;
  std::deque<T> items_;
};

}  // namespace haul::client
