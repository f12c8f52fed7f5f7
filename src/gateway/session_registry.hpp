#pragma once
// The set of live sessions, so a graceful shutdown can reach idle ones.

#include <functional>
#include <mutex>
#include <unordered_map>

namespace haul::gateway {

class SessionRegistry {
 public:
  // on_shutdown runs (from any thread) when shutdown() is called while the
  // session is registered. Returns an id for remove().
  uint64_t add(std::function<void()> on_shutdown) {
    std::lock_guard lock(mutex_);
    uint64_t id = next_++;
    if (stopping_) {
      on_shutdown();
    } else {
      sessions_.emplace(id, std::move(on_shutdown));
    }
    return id;
  }
  void remove(uint64_t id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
  }
  void shutdown() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, fn] : sessions_) fn();
  }
  bool stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, std::function<void()>> sessions_;
  uint64_t next_ = 0;
  bool stopping_ = false;
};

}  // namespace haul::gateway
