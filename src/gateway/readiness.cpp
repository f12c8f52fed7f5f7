#include "gateway/readiness.hpp"

#include "core/error.hpp"

namespace haul::gateway {

Readiness::State Readiness::check(const std::string& store, const std::function<void()>& probe, Clock::time_point now) {
  {
    std::lock_guard lock(mutex_);
    Entry& e = entries_[store];
    if (e.known && (e.probing || now - e.at < max_age_)) return e.state;
    if (e.probing) return State{false, "first probe under way", "first probe under way", false};
    e.probing = true;
  }
  State state{true, "", "", true};
  try {
    probe();
  } catch (const Error& err) {
    state = State{false, std::string(err.public_message()), err.what(), true};
  } catch (const std::exception& err) {
    state = State{false, "probe failed", err.what(), true};
  }
  std::lock_guard lock(mutex_);
  Entry& e = entries_[store];
  e.state = state;
  e.state.fresh = false;  // later callers read it from the cache
  e.at = now;
  e.known = true;
  e.probing = false;
  return state;
}

}  // namespace haul::gateway
