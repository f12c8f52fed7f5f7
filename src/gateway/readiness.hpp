#pragma once
// /readyz's store probes, rate-limited (sans-IO: the probe is a function and
// `now` a parameter). /readyz needs no token, like /healthz, so it must not
// let anyone multiply traffic to the stores: each store is probed at most
// once per max_age, whatever the request rate, and a caller that finds the
// cached state stale while another caller is probing gets the stale state
// instead of probing again (or waiting).
//
// Thread-safe; the probe runs outside the lock.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace haul::gateway {

class Readiness {
 public:
  using Clock = std::chrono::steady_clock;

  struct State {
    bool ready = false;
    std::string message;  // why not: the Error's public message (for clients)
    std::string detail;   // why not: the Error's what() (for the log)
    bool fresh = false;   // this call ran the probe
  };

  Readiness() : Readiness(std::chrono::seconds(2)) {}
  explicit Readiness(Clock::duration max_age) : max_age_(max_age) {}

  // The state of `store` at `now`: the cached one when it is younger than
  // max_age or another caller is probing; otherwise runs probe() (ready when
  // it returns, not ready when it throws) and caches the outcome as of `now`.
  // Before any probe of the store has finished, a concurrent caller gets
  // not ready, "first probe under way".
  State check(const std::string& store, const std::function<void()>& probe, Clock::time_point now);

 private:
  struct Entry {
    State state;
    Clock::time_point at;
    bool known = false;    // a probe has finished
    bool probing = false;  // a caller is probing now
  };
  Clock::duration max_age_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace haul::gateway
