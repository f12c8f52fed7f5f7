#pragma once
// The set of live sessions: a graceful shutdown reaches the idle ones, and
// when the connection limit is reached the longest-idle one makes room.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>

namespace haul::gateway {

class SessionRegistry {
 public:
  // close_if_idle runs (on the caller's thread, under the registry's lock)
  // when the session should end if it is still idle: at shutdown, or when it
  // is the longest-idle session and the connection limit is reached. It must
  // only post work to the session's own executor. Returns an id.
  uint64_t add(std::function<void()> close_if_idle) {
    std::lock_guard lock(mutex_);
    uint64_t id = next_++;
    if (stopping_) {
      close_if_idle();
    } else {
      sessions_.emplace(id, Session{std::move(close_if_idle), 0});
    }
    return id;
  }
  void remove(uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    if (it->second.idle_since) idle_.erase(it->second.idle_since);
    sessions_.erase(it);
  }
  // The session waits for its next request (true) or is serving one (false).
  void set_idle(uint64_t id, bool idle) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    auto& since = it->second.idle_since;
    if (since) idle_.erase(since);
    since = 0;
    if (idle) {
      since = ++idle_clock_;
      idle_.emplace(since, id);
    }
  }
  // Asks the longest-idle session to close; false when none is idle.
  bool evict_oldest_idle() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return false;
    auto oldest = idle_.begin();
    auto& session = sessions_.at(oldest->second);
    session.idle_since = 0;  // asked once; it leaves the idle order
    idle_.erase(oldest);
    session.close_if_idle();
    return true;
  }
  void shutdown() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, s] : sessions_) s.close_if_idle();
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
  struct Session {
    std::function<void()> close_if_idle;
    uint64_t idle_since = 0;  // position in idle_ (0: busy)
  };
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, Session> sessions_;
  std::map<uint64_t, uint64_t> idle_;  // idle order (oldest first) -> session id
  uint64_t next_ = 0;
  uint64_t idle_clock_ = 0;
  bool stopping_ = false;
};

}  // namespace haul::gateway
