#include "store/fs_instance.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "core/error.hpp"

namespace haul::store::fs {

namespace {

// flock(LOCK_EX | LOCK_NB): true when taken, false when another open file
// description holds it.
bool try_lock(const Fd& fd, const std::string& path) {
  for (;;) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return false;
    throw_errno(errno, "lock", path);
  }
}

bool same_inode(const Fd& fd, const std::string& path) {
  struct stat by_fd {
  }, by_path{};
  if (::fstat(fd.get(), &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0) return false;
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

}  // namespace

InstanceTemp InstanceTemp::create(const std::string& tmp_root) {
  constexpr int kAttempts = 100;
  for (int attempt = 1;; ++attempt) {
    std::string path = tmp_root + "/" + random_hex_id();
    if (::mkdir(path.c_str(), 0700) != 0) throw_errno(errno, "mkdir", path);
    // Between mkdir and flock a sweep may see the directory unlocked and
    // remove it. Then either our open fails, the sweep still holds the lock,
    // or we lock an inode that no longer has this name: start over.
    Fd dir = open_if_exists(path, O_RDONLY | O_DIRECTORY);
    if (dir.valid() && try_lock(dir, path) && same_inode(dir, path))
      return InstanceTemp(std::move(path), std::move(dir));
    if (attempt >= kAttempts) {
      throw Error(ErrorKind::io, "I/O error: temp directory keeps vanishing", "mkdir " + path);
    }
  }
}

InstanceTemp::~InstanceTemp() {
  if (path_.empty()) return;  // moved from
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

size_t sweep_dead_instances(const std::string& tmp_root) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(tmp_root.c_str());
  if (handle == nullptr) throw_errno(errno, "list", tmp_root);
  while (dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(handle);
  size_t removed = 0;
  for (const std::string& name : names) {
    std::string path = tmp_root + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;  // removed meanwhile
    if (!S_ISDIR(st.st_mode)) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "remove", path);
      ++removed;
      continue;
    }
    Fd dir = open_if_exists(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!dir.valid() || !try_lock(dir, path)) continue;  // gone, or alive
    // Ours to remove while we hold the lock; another sweep that locks it after
    // us finds nothing left (names are random and never reused).
    remove_tree(path);
    ++removed;
  }
  return removed;
}

}  // namespace haul::store::fs
