#pragma once
// Per-process temp areas of the fs store (docs/store.md, "Several gateways
// on one directory").
//
// Each store instance (one per gateway process and DIR) writes its temp files
// in its own directory DIR/tmp/<32 hex>/ and holds flock(LOCK_EX) on that
// directory for as long as it lives. The kernel drops the lock when the
// process exits, however it exits (kill -9 included), so "the lock can be
// taken" means "its owner is gone": the sweep removes exactly those
// directories and never the temp files of a live instance, of this process
// or another.
//
// Works where flock works between the processes concerned: local
// filesystems (NFS emulates it with byte-range locks; not tested here).

#include <cstddef>
#include <string>

#include "store/fs_io.hpp"

namespace haul::store::fs {

class InstanceTemp {
 public:
  // Creates and locks a fresh directory below tmp_root. Throws haul::Error.
  // Safe against a concurrent sweep (which may remove a directory between
  // its mkdir and our flock: we notice and start over with a new name).
  static InstanceTemp create(const std::string& tmp_root);

  InstanceTemp(InstanceTemp&& other) noexcept = default;
  InstanceTemp& operator=(InstanceTemp&&) = delete;
  InstanceTemp(const InstanceTemp&) = delete;
  // Removes the directory and what is left in it (best effort), then
  // releases the lock.
  ~InstanceTemp();

  const std::string& path() const noexcept { return path_; }

 private:
  InstanceTemp(std::string path, Fd lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  std::string path_;
  Fd lock_;  // the directory itself, flock'ed
};

// Removes every entry of tmp_root that no live instance holds: directories
// whose flock can be taken (left by a process that exited or crashed) and
// anything that is not a directory (debris of versions that wrote directly
// into tmp/). Returns how many entries it removed. Throws haul::Error when
// an entry cannot be removed.
size_t sweep_dead_instances(const std::string& tmp_root);

}  // namespace haul::store::fs
